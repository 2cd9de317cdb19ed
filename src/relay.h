/*
 * relay: a capturing PostgreSQL protocol relay on 127.0.0.1 (SPEC.md
 * "Rehearsal").  A migrator pointed at it talks to the shadow database as
 * usual, and the SQL of every simple-query (Q) and Parse (P) message it
 * sends is recorded, per connection, in order.
 *
 *   struct relay_opts o = RELAY_OPTS_INIT;
 *   o.upstream_host = shadow.db.host;  o.upstream_port = shadow.db.port;
 *   struct relay *r;
 *   if (relay_start(&r, &o, &err) < 0) ...
 *   ... run the migrator with host 127.0.0.1 port relay_port(r) ...
 *   struct relay_capture cap = RELAY_CAPTURE_INIT;
 *   if (relay_stop(r, &cap, &err) < 0) ...   // a cap was hit: err says which
 *   for (i = 0; i < cap.n; i++) use(cap.v[i].conn, cap.v[i].sql);
 *   relay_capture_release(&cap);
 *
 * The relay runs on its own thread with poll(): any number of client
 * connections at once (up to max_conns), each relayed to a new upstream
 * connection (TCP, or the unix socket when upstream_host is a directory).
 * SSLRequest and GSSENCRequest are answered 'N' (the client then starts in
 * plain text on loopback); CancelRequest is passed on to the server.
 * Startup and authentication bytes are relayed and never stored; only Q and
 * P message texts are.  Bytes are forwarded as they arrive, so memory is
 * bounded by the buffers and the captured text: a Q or P message over
 * max_message bytes, more than max_conns connections, or more than
 * max_capture bytes of SQL in all end that connection (or the capture)
 * with a clear error that relay_stop returns; nothing crashes or grows
 * without bound.  The relay speaks protocol 3 only.
 */
#ifndef PREDEPLOY_RELAY_H
#define PREDEPLOY_RELAY_H

#include <stddef.h>

#include "util/err.h"

struct relay_opts {
	const char *upstream_host;      /* host, address, or unix socket directory ("/...") */
	const char *upstream_port;
	size_t max_message;             /* bytes of one Q or P message */
	size_t max_capture;             /* bytes of SQL captured in all */
	int max_conns;                  /* client connections over the relay's life */
};

#define RELAY_OPTS_INIT { NULL, "5432", 16u << 20, 256u << 20, 64 }

struct relay_stmt {
	int conn;                       /* 1-based, in order of connection */
	char kind;                      /* 'Q' simple query, 'P' Parse */
	char *sql;
};

struct relay_capture {
	struct relay_stmt *v;
	int n;
	int conns;                      /* client connections that reached the server */
};

#define RELAY_CAPTURE_INIT { NULL, 0, 0 }

struct relay;

int relay_start(struct relay **out, const struct relay_opts *o, struct err *e);
/* The ephemeral port it listens on (127.0.0.1). */
int relay_port(const struct relay *r);
/* Stop the thread, close every connection, hand over what was captured
 * (also on error). -1 when a limit was hit or the relay failed (e filled,
 * EXIT_INTERNAL for relay failures, EXIT_DATAERR for the caps). */
int relay_stop(struct relay *r, struct relay_capture *cap, struct err *e);
void relay_capture_release(struct relay_capture *c);

#endif
