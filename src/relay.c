/*
 * relay: the capturing protocol relay; see relay.h.
 *
 * One thread, one poll() loop.  Each client connection has a startup phase
 * (the length-prefixed packet without a type byte: SSLRequest,
 * GSSENCRequest, CancelRequest or StartupMessage) and then a relay phase in
 * which client bytes are forwarded as they arrive while a small state
 * machine follows the message boundaries (type byte, int32 length) and
 * keeps the body of Q and P messages only.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define STARTUP_MAX 10000               /* PostgreSQL's own limit for the startup packet */
#define OUT_MAX (1u << 20)              /* stop reading a side while 1 MiB waits for the other */
#define CODE_SSL 80877103u
#define CODE_GSSENC 80877104u
#define CODE_CANCEL 80877102u
#define CODE_V3 196608u

struct outbuf {
	char *buf;
	size_t len, cap;
};

struct conn {
	int id;
	int cfd, ufd;                   /* client, upstream; -1 when closed */
	int relaying;                   /* past the startup packet */
	unsigned char start[STARTUP_MAX];
	size_t sgot;
	unsigned char hdr[5];           /* type byte and length of the message being read */
	int hgot;
	uint32_t remaining;             /* body bytes still to come */
	int capturing;
	struct strbuf msg;
	struct outbuf to_up, to_client;
	int client_done, up_done;       /* EOF or error on that side */
	int finished;
};

struct relay {
	struct relay_opts o;
	int lfd, stop_pipe[2], port;
	pthread_t thread;
	int started;
	struct conn **conns;
	int nconns, total;
	struct relay_capture cap;
	size_t captured;
	struct err err;                 /* first failure or cap hit */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fail(struct relay *r, int code, const char *msg)
{
	if (!r->err.code)
		err_set(&r->err, code, "capture relay: %s", msg);
}

static void out_add(struct outbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* Write what we can; -1 on a write error. */
static int out_flush(struct outbuf *b, int fd)
{
	while (b->len) {
		ssize_t w = write(fd, b->buf, b->len);

		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		memmove(b->buf, b->buf + w, b->len - (size_t)w);
		b->len -= (size_t)w;
	}
	return 0;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Each side's messages go out as soon as they are read: without this,
 * Nagle's algorithm holds a small write back until the previous one is
 * acknowledged, and a reply the server sent in two writes reaches the
 * migrator a delayed ACK later (milliseconds per statement). */
static void no_delay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int connect_upstream(const struct relay *r)
{
	int fd = -1;

	if (r->o.upstream_host && r->o.upstream_host[0] == '/') {
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.%s", r->o.upstream_host,
				     r->o.upstream_port) >= sizeof(sa.sun_path))
			return -1;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			fd = -1;
		}
	} else {
		struct addrinfo hints, *res = NULL, *ai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(r->o.upstream_host ? r->o.upstream_host : "localhost", r->o.upstream_port,
				&hints, &res) != 0)
			return -1;
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
				close(fd);
				fd = -1;
			}
			if (fd >= 0)
				no_delay(fd);
		}
		freeaddrinfo(res);
	}
	if (fd >= 0)
		set_nonblock(fd);
	return fd;
}

static void record(struct relay *r, struct conn *c, char kind)
{
	const char *p = c->msg.buf, *end = c->msg.buf + c->msg.len, *nul;

	if (kind == 'P') {                      /* statement name, NUL, query, NUL, ... */
		nul = memchr(p, '\0', c->msg.len);
		if (!nul)
			return;
		p = nul + 1;
	}
	nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul)
		return;
	if (r->captured + (size_t)(nul - p) > r->o.max_capture) {
		fail(r, EXIT_DATAERR, "the migrator sent more SQL than the capture cap allows");
		return;
	}
	r->captured += (size_t)(nul - p);
	r->cap.v = xrealloc(r->cap.v, sizeof(*r->cap.v) * (size_t)(r->cap.n + 1));
	r->cap.v[r->cap.n].conn = c->id;
	r->cap.v[r->cap.n].kind = kind;
	r->cap.v[r->cap.n].sql = xstrndup(p, (size_t)(nul - p));
	r->cap.n++;
}

/* Follow message boundaries in client bytes already forwarded; -1 ends the
 * connection (a protocol violation or an oversized Q/P message). */
static int follow(struct relay *r, struct conn *c, const unsigned char *p, size_t n)
{
	while (n) {
		if (c->hgot < 5) {
			size_t k = (size_t)(5 - c->hgot) < n ? (size_t)(5 - c->hgot) : n;
			uint32_t len;

			memcpy(c->hdr + c->hgot, p, k);
			c->hgot += (int)k;
			p += k;
			n -= k;
			if (c->hgot < 5)
				break;
			len = be32(c->hdr + 1);
			if (len < 4) {
				fail(r, EXIT_DATAERR, "a client sent a malformed message (length below 4)");
				return -1;
			}
			c->remaining = len - 4;
			c->capturing = c->hdr[0] == 'Q' || c->hdr[0] == 'P';
			if (c->capturing && len > r->o.max_message) {
				char m[160];

				snprintf(m, sizeof(m), "a client sent a %u-byte %s message; the cap is %zu bytes", len,
					 c->hdr[0] == 'Q' ? "Query" : "Parse", r->o.max_message);
				fail(r, EXIT_DATAERR, m);
				return -1;
			}
			sb_reset(&c->msg);
		} else {
			size_t k = c->remaining < n ? c->remaining : n;

			if (c->capturing)
				sb_add(&c->msg, p, k);
			c->remaining -= (uint32_t)k;
			p += k;
			n -= k;
		}
		if (c->hgot == 5 && c->remaining == 0) {
			if (c->capturing)
				record(r, c, (char)c->hdr[0]);
			c->hgot = 0;
		}
	}
	return 0;
}

/* Bytes of the startup phase; -1 ends the connection. */
static int startup(struct relay *r, struct conn *c, const unsigned char *p, size_t n)
{
	while (n && !c->relaying) {
		size_t need = c->sgot < 4 ? 4 : be32(c->start);
		size_t k;
		uint32_t code;

		if (c->sgot >= 4 && (need < 8 || need > STARTUP_MAX)) {
			fail(r, EXIT_DATAERR, "a client sent an invalid startup packet");
			return -1;
		}
		k = need - c->sgot < n ? need - c->sgot : n;
		memcpy(c->start + c->sgot, p, k);
		c->sgot += k;
		p += k;
		n -= k;
		if (c->sgot < 8 || c->sgot < be32(c->start))
			continue;
		code = be32(c->start + 4);
		if (code == CODE_SSL || code == CODE_GSSENC) {
			out_add(&c->to_client, "N", 1);
			c->sgot = 0;
			continue;
		}
		if (code != CODE_V3 && code != CODE_CANCEL) {
			fail(r, EXIT_DATAERR, "a client asked for a protocol other than 3.0");
			return -1;
		}
		c->ufd = connect_upstream(r);
		if (c->ufd < 0) {
			fail(r, EXIT_INTERNAL, "could not connect to the shadow database's server");
			return -1;
		}
		out_add(&c->to_up, c->start, c->sgot);
		if (code == CODE_CANCEL) {
			c->client_done = 1;     /* pass it on, then close */
			return 0;
		}
		c->relaying = 1;
		r->cap.conns++;
	}
	if (n) {
		out_add(&c->to_up, p, n);
		return follow(r, c, p, n);
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	c->cfd = c->ufd = -1;
}

static void conn_free(struct conn *c)
{
	conn_close(c);
	sb_release(&c->msg);
	free(c->to_up.buf);
	free(c->to_client.buf);
	free(c);
}

static void accept_one(struct relay *r)
{
	int fd = accept(r->lfd, NULL, NULL);
	struct conn *c;

	if (fd < 0)
		return;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	set_nonblock(fd);
	no_delay(fd);
	if (r->total >= r->o.max_conns) {
		char m[96];

		snprintf(m, sizeof(m), "more than %d connections (the relay's cap)", r->o.max_conns);
		fail(r, EXIT_DATAERR, m);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->id = ++r->total;
	c->cfd = fd;
	c->ufd = -1;
	sb_init(&c->msg, 0);
	r->conns = xrealloc(r->conns, sizeof(*r->conns) * (size_t)(r->nconns + 1));
	r->conns[r->nconns++] = c;
}

/* Read from one side into the other's buffer. 0 on EOF or error. */
static int pump(struct relay *r, struct conn *c, int from_client)
{
	unsigned char buf[65536];
	ssize_t n = read(from_client ? c->cfd : c->ufd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	if (!from_client) {
		out_add(&c->to_client, buf, (size_t)n);
		return 1;
	}
	if (!c->relaying)
		return startup(r, c, buf, (size_t)n) < 0 ? -1 : 1;
	out_add(&c->to_up, buf, (size_t)n);
	return follow(r, c, buf, (size_t)n) < 0 ? -1 : 1;
}

/* One connection's poll events; 1 when it is finished. */
static int service(struct relay *r, struct conn *c, short cev, short uev)
{
	int rc;

	if (cev & (POLLIN | POLLHUP | POLLERR)) {
		rc = pump(r, c, 1);
		if (rc < 0)
			return 1;
		if (rc == 0)
			c->client_done = 1;
	}
	if (c->ufd >= 0 && (uev & (POLLIN | POLLHUP | POLLERR))) {
		if (pump(r, c, 0) == 0)
			c->up_done = 1;
	}
	if (c->ufd >= 0 && c->to_up.len && out_flush(&c->to_up, c->ufd) < 0)
		return 1;
	if (c->to_client.len && out_flush(&c->to_client, c->cfd) < 0)
		return 1;
	if (c->client_done && !c->to_up.len)
		return 1;
	if (c->up_done && !c->to_client.len)
		return 1;
	return 0;
}

static void *loop(void *arg)
{
	struct relay *r = arg;
	struct pollfd *pf = NULL;

	for (;;) {
		int i, n = 2;

		pf = xrealloc(pf, sizeof(*pf) * (size_t)(2 + 2 * r->nconns));
		pf[0] = (struct pollfd){ r->stop_pipe[0], POLLIN, 0 };
		pf[1] = (struct pollfd){ r->lfd, POLLIN, 0 };
		for (i = 0; i < r->nconns; i++) {
			struct conn *c = r->conns[i];

			pf[n++] = (struct pollfd){ c->cfd, (short)((c->to_up.len < OUT_MAX && !c->client_done ? POLLIN : 0) |
								   (c->to_client.len ? POLLOUT : 0)), 0 };
			pf[n++] = (struct pollfd){ c->ufd, (short)((c->to_client.len < OUT_MAX && !c->up_done ? POLLIN : 0) |
								   (c->to_up.len ? POLLOUT : 0)), 0 };
		}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(r, EXIT_INTERNAL, strerror(errno));
			break;
		}
		if (pf[0].revents)
			break;
		for (i = 0; i < r->nconns; i++)
			r->conns[i]->finished = service(r, r->conns[i], pf[2 + 2 * i].revents, pf[3 + 2 * i].revents);
		for (i = 0; i < r->nconns;) {
			if (r->conns[i]->finished) {
				conn_free(r->conns[i]);
				r->conns[i] = r->conns[--r->nconns];
			} else {
				i++;
			}
		}
		if (pf[1].revents & POLLIN)
			accept_one(r);
	}
	free(pf);
	return NULL;
}

int relay_start(struct relay **out, const struct relay_opts *o, struct err *e)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	r->o = *o;
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r->stop_pipe[0] = r->stop_pipe[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(r->lfd, 64) < 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&sa, &len) < 0 || pipe(r->stop_pipe) < 0) {
		err_sys(e, EXIT_INTERNAL, errno, "could not start the capture relay on 127.0.0.1");
		relay_stop(r, NULL, NULL);
		return -1;
	}
	r->port = ntohs(sa.sin_port);
	if (pthread_create(&r->thread, NULL, loop, r) != 0) {
		err_set(e, EXIT_INTERNAL, "could not start the capture relay's thread");
		relay_stop(r, NULL, NULL);
		return -1;
	}
	r->started = 1;
	*out = r;
	return 0;
}

int relay_port(const struct relay *r)
{
	return r->port;
}

int relay_stop(struct relay *r, struct relay_capture *cap, struct err *e)
{
	int i, rc;

	if (r->started) {
		ssize_t w = write(r->stop_pipe[1], "x", 1);

		(void)w;
		pthread_join(r->thread, NULL);
	}
	for (i = 0; i < r->nconns; i++)
		conn_free(r->conns[i]);
	free(r->conns);
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->stop_pipe[0] >= 0)
		close(r->stop_pipe[0]);
	if (r->stop_pipe[1] >= 0)
		close(r->stop_pipe[1]);
	rc = r->err.code ? -1 : 0;
	if (rc < 0 && e)
		*e = r->err;
	if (cap)
		*cap = r->cap;
	else
		relay_capture_release(&r->cap);
	free(r);
	return rc;
}

void relay_capture_release(struct relay_capture *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].sql);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
