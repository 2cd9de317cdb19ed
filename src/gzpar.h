/*
 * gzpar: the gzip writer behind gzstream's "gzip" method (private to
 * gzstream.c): the input is cut into blocks of GZM_BLOCK bytes, each
 * compressed by libdeflate into its own gzip member (gzmember.h) on a
 * worker thread, pigz's approach without the shared dictionary.
 *
 *   struct gzpar *p = gzpar_new(level, threads, sink, ctx, &err);
 *   gzpar_write(p, data, n, &err); ...     // caller's thread only
 *   gzpar_finish(p, &err);                 // the last members, in order
 *   gzpar_free(p);                         // stops the workers; accepts NULL
 *
 * Members reach sink(ctx) in input order and always on the caller's
 * thread (a storage's write is not thread-safe), as workers finish them;
 * the bytes written do not depend on the number of threads.  Every member
 * is checked before it is handed to the sink: a worker inflates it again
 * and compares the result with its input byte for byte (a compressor bug
 * or a memory fault fails the backup, EXIT_INTERNAL, instead of writing
 * a file that does not restore).
 *
 * Memory is bounded: threads + 2 blocks in flight, each GZM_BLOCK of
 * input and as much compressed, plus one block of scratch and a compressor
 * per worker (about 11 MiB for 2 threads).  It is taken as it is needed:
 * one worker at first, another when the blocks in flight outnumber the
 * running workers; a block's buffers grow with its input from 64 KiB; so
 * a dump of a few kilobytes uses one thread and a few hundred KiB.
 * Workers block every signal, so SIGTERM/SIGINT still reach the caller's
 * thread.
 */
#ifndef PREDEPLOY_GZPAR_H
#define PREDEPLOY_GZPAR_H

#include <stddef.h>

#include "gzstream.h"

struct gzpar;

/* threads <= 0: one per online CPU, at most 4. */
struct gzpar *gzpar_new(int level, int threads, gz_sink_fn sink, void *ctx, struct err *e);
int gzpar_write(struct gzpar *p, const void *data, size_t len, struct err *e);
int gzpar_finish(struct gzpar *p, struct err *e);
void gzpar_free(struct gzpar *p);

#endif
