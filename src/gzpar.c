/* gzpar: see gzpar.h. */
#include "gzpar.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>

#include "gzmember.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define MAX_THREADS 4

/* A slot's life: FREE -> FILLING (caller copies input in) -> QUEUED ->
 * WORKING (a worker) -> DONE or FAILED -> written by the caller -> FREE.
 * Slots are used in ring order, so the ring order is the output order:
 * the queued slots are the ones from next_job on, the unwritten ones from
 * next_out on. */
enum slot_state { S_FREE, S_FILLING, S_QUEUED, S_WORKING, S_DONE, S_FAILED };

struct slot {
	enum slot_state state;
	unsigned char *in;
	size_t in_len, in_cap;      /* in grows to GZM_BLOCK as input comes */
	unsigned char *out;
	size_t out_len, out_cap;    /* out is sized for in_len at submit */
	const char *why;            /* FAILED: what went wrong */
};

struct worker {
	struct gzpar *p;
	pthread_t t;
	int started;
	struct libdeflate_compressor *c;
	struct libdeflate_decompressor *d;
	unsigned char *scratch;     /* the member inflated again */
	size_t scratch_cap;
};

struct gzpar {
	pthread_mutex_t mu;
	pthread_cond_t work;        /* a slot was queued, or stop */
	pthread_cond_t done;        /* a slot was finished */
	int stop;
	int level;
	int nslots, nworkers;
	int started;                /* workers running (started on demand) */
	int in_flight;              /* slots QUEUED or WORKING */
	struct slot *slots;
	struct worker *workers;
	int fill;                   /* the slot being filled, -1: none */
	int next_fill;              /* the slot to fill after it */
	int next_job;               /* the next slot a worker takes */
	int next_out;               /* the next slot to write */
	int members;                /* members written or in flight */
	gz_sink_fn sink;
	void *ctx;
};

/* Compress one block into a member and check it inflates back to it. */
static const char *compress_slot(struct worker *w, struct slot *s)
{
	size_t clen, ain = 0, aout = 0;
	uint32_t crc;
	enum libdeflate_result r;

	clen = libdeflate_deflate_compress(w->c, s->in, s->in_len, s->out + GZM_HEADER,
					   s->out_cap - GZM_HEADER - GZM_TRAILER);
	if (clen == 0)
		return "a block did not fit its compression bound";
	if (!w->scratch || w->scratch_cap < s->in_len) {
		free(w->scratch);
		w->scratch_cap = s->in_len ? s->in_len : 1;
		w->scratch = xmalloc(w->scratch_cap);
	}
	/* a member that would inflate to more than its block does not fit */
	r = libdeflate_deflate_decompress_ex(w->d, s->out + GZM_HEADER, clen, w->scratch, w->scratch_cap, &ain,
					     &aout);
	if (r != LIBDEFLATE_SUCCESS || ain != clen || aout != s->in_len || memcmp(w->scratch, s->in, aout))
		return "a compressed block does not inflate to its input";
	crc = (uint32_t)libdeflate_crc32(0, s->in, s->in_len);
	gzm_header(s->out, (uint32_t)clen, (uint32_t)s->in_len, w->p->level <= 1);
	gzm_put32(s->out + GZM_HEADER + clen, crc);
	gzm_put32(s->out + GZM_HEADER + clen + 4, (uint32_t)s->in_len);
	s->out_len = GZM_HEADER + clen + GZM_TRAILER;
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct gzpar *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s;
		const char *why;

		while (!p->stop && p->slots[p->next_job].state != S_QUEUED)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		s = &p->slots[p->next_job];
		p->next_job = (p->next_job + 1) % p->nslots;
		s->state = S_WORKING;
		pthread_mutex_unlock(&p->mu);
		why = compress_slot(w, s);
		pthread_mutex_lock(&p->mu);
		s->why = why;
		s->state = why ? S_FAILED : S_DONE;
		p->in_flight--;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* Start one more worker (its compressor, then its thread, every signal
 * blocked in it); -1 with e set when it could not. */
static int start_worker(struct gzpar *p, struct err *e)
{
	struct worker *w = &p->workers[p->started];
	sigset_t all, old;
	int rc;

	w->p = p;
	w->c = libdeflate_alloc_compressor(p->level);
	w->d = libdeflate_alloc_decompressor();
	if (!w->c || !w->d) {
		err_set(e, EXIT_INTERNAL, "could not initialize libdeflate (level %d)", p->level);
		goto failed;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->t, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_sys(e, EXIT_INTERNAL, rc, "could not start the compression threads");
		goto failed;
	}
	w->started = 1;
	p->started++;
	return 0;
failed:
	if (w->c)
		libdeflate_free_compressor(w->c);
	if (w->d)
		libdeflate_free_decompressor(w->d);
	w->c = NULL;
	w->d = NULL;
	return -1;
}

/* One worker now, the others when the blocks in flight outnumber the
 * workers, and a slot's buffers when it is first filled: a small backup
 * never pays for threads or blocks it does not use. */
struct gzpar *gzpar_new(int level, int threads, gz_sink_fn sink, void *ctx, struct err *e)
{
	struct gzpar *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->level = level;
	p->nworkers = threads > 0 ? (threads > MAX_THREADS ? MAX_THREADS : threads) : online_cpus();
	p->nslots = p->nworkers + 2;
	p->fill = -1;
	p->sink = sink;
	p->ctx = ctx;
	p->workers = xcalloc((size_t)p->nworkers, sizeof(*p->workers));
	p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
	if (start_worker(p, e) < 0) {
		gzpar_free(p);
		return NULL;
	}
	return p;
}

/* Write the oldest unwritten member if it is finished (wait: until it
 * is).  1: one written, 0: nothing to write (yet), -1: error. */
static int flush_one(struct gzpar *p, int wait, struct err *e)
{
	struct slot *s = &p->slots[p->next_out];
	enum slot_state st;
	int rc;

	pthread_mutex_lock(&p->mu);
	while (wait && (s->state == S_QUEUED || s->state == S_WORKING))
		pthread_cond_wait(&p->done, &p->mu);
	st = s->state;
	pthread_mutex_unlock(&p->mu);
	if (st == S_FAILED)
		return err_set(e, EXIT_INTERNAL, "could not compress the backup: %s", s->why);
	if (st != S_DONE)
		return 0;
	rc = p->sink(p->ctx, s->out, s->out_len, e);
	if (rc < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	s->state = S_FREE;
	pthread_mutex_unlock(&p->mu);
	p->next_out = (p->next_out + 1) % p->nslots;
	return 1;
}

/* Queue the slot being filled; another worker starts when the blocks in
 * flight outnumber the running ones (failing that, fewer workers do). */
static void submit(struct gzpar *p)
{
	struct slot *s = &p->slots[p->fill];
	size_t need = GZM_HEADER + libdeflate_deflate_compress_bound(p->workers[0].c, s->in_len) + GZM_TRAILER;
	int more;

	if (!s->in) {                   /* the empty input's one member */
		s->in_cap = 1;
		s->in = xmalloc(s->in_cap);
	}
	if (s->out_cap < need) {
		free(s->out);
		s->out_cap = need;
		s->out = xmalloc(need);
	}
	pthread_mutex_lock(&p->mu);
	s->state = S_QUEUED;
	more = ++p->in_flight > p->started && p->started < p->nworkers;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	p->fill = -1;
	p->members++;
	if (more) {
		struct err we = ERR_INIT;

		if (start_worker(p, &we) < 0)
			p->nworkers = p->started;   /* go on with the ones running */
	}
}

/* A slot to fill: the next in the ring, once its member is written. */
static int acquire(struct gzpar *p, struct err *e)
{
	struct slot *s = &p->slots[p->next_fill];

	for (;;) {
		enum slot_state st;

		pthread_mutex_lock(&p->mu);
		st = s->state;
		if (st == S_FREE)
			s->state = S_FILLING;
		pthread_mutex_unlock(&p->mu);
		if (st == S_FREE)
			break;
		/* the ring is full: this slot is the oldest unwritten one */
		if (flush_one(p, 1, e) < 0)
			return -1;
	}
	s->in_len = 0;
	p->fill = p->next_fill;
	p->next_fill = (p->next_fill + 1) % p->nslots;
	return 0;
}

int gzpar_write(struct gzpar *p, const void *data, size_t len, struct err *e)
{
	const unsigned char *d = data;

	while (len) {
		struct slot *s;
		size_t n;
		int rc;

		if (p->fill < 0 && acquire(p, e) < 0)
			return -1;
		s = &p->slots[p->fill];
		n = GZM_BLOCK - s->in_len < len ? GZM_BLOCK - s->in_len : len;
		if (s->in_cap < s->in_len + n) {
			/* doubling from 64 KiB: a small dump stays small */
			size_t cap = s->in_cap ? s->in_cap * 2 : (size_t)64 << 10;

			while (cap < s->in_len + n)
				cap *= 2;
			s->in_cap = cap < GZM_BLOCK ? cap : GZM_BLOCK;
			s->in = xrealloc(s->in, s->in_cap);
		}
		memcpy(s->in + s->in_len, d, n);
		s->in_len += n;
		d += n;
		len -= n;
		if (s->in_len < GZM_BLOCK)
			continue;
		submit(p);
		while ((rc = flush_one(p, 0, e)) > 0)
			;
		if (rc < 0)
			return -1;
	}
	return 0;
}

int gzpar_finish(struct gzpar *p, struct err *e)
{
	int rc;

	/* an empty input is still one (empty) member: a valid gzip file */
	if (p->fill < 0 && p->members == 0 && acquire(p, e) < 0)
		return -1;
	if (p->fill >= 0 && (p->slots[p->fill].in_len > 0 || p->members == 0))
		submit(p);
	while ((rc = flush_one(p, 1, e)) > 0)
		;
	return rc;
}

void gzpar_free(struct gzpar *p)
{
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->workers[i];

		if (w->started)
			pthread_join(w->t, NULL);
		if (w->c)
			libdeflate_free_compressor(w->c);
		if (w->d)
			libdeflate_free_decompressor(w->d);
		free(w->scratch);
	}
	for (i = 0; p->slots && i < p->nslots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
	}
	free(p->slots);
	free(p->workers);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
