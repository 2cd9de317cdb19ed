/* Test-only: runs src/relay.c against a server (argv: host-or-socket-dir
 * port [max_message] [max_conns]), prints "port N", relays until its
 * standard input closes, then prints what it captured as JSON lines
 * ({"conn":N,"kind":"Q","sql":"..."}) and the relay's error, if any.
 * Used by tests/integration/test_relay.py. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "relay.h"
#include "util/strbuf.h"

int main(int argc, char **argv)
{
	struct relay_opts o = RELAY_OPTS_INIT;
	struct relay_capture cap = RELAY_CAPTURE_INIT;
	struct relay *r;
	struct err e = ERR_INIT;
	char buf[256];
	int i, rc;

	if (argc < 3)
		return 64;
	o.upstream_host = argv[1];
	o.upstream_port = argv[2];
	if (argc > 3)
		o.max_message = (size_t)strtoul(argv[3], NULL, 10);
	if (argc > 4)
		o.max_conns = atoi(argv[4]);
	if (relay_start(&r, &o, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	printf("port %d\n", relay_port(r));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	rc = relay_stop(r, &cap, &e);
	for (i = 0; i < cap.n; i++) {
		struct strbuf sb = STRBUF_INIT;

		sb_addf(&sb, "{\"conn\":%d,\"kind\":\"%c\",\"sql\":", cap.v[i].conn, cap.v[i].kind);
		sb_add_json_str(&sb, cap.v[i].sql);
		sb_adds(&sb, "}\n");
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	}
	printf("{\"conns\":%d,\"error\":", cap.conns);
	{
		struct strbuf sb = STRBUF_INIT;

		sb_add_json_str(&sb, rc < 0 ? e.msg : NULL);
		fwrite(sb.buf, 1, sb.len, stdout);
		sb_release(&sb);
	}
	printf("}\n");
	relay_capture_release(&cap);
	return 0;
}
