/* termlog: see termlog.h. */
#include "termlog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util/utf8.h"
#include "util/banned.h"

void termlog_format(const char *summary, struct strbuf *out)
{
	size_t n = strlen(summary), cut = utf8_cut(summary, n, TERMLOG_CAP), i;
	size_t base = out->len;

	sb_add(out, summary, cut);
	for (i = base; i < out->len; i++)
		if (out->buf[i] == '\n' || out->buf[i] == '\r')
			out->buf[i] = ' ';
}

int termlog_write(const char *path, const char *summary)
{
	struct strbuf text = STRBUF_INIT;
	int fd = -1, ret = -1, flags = O_WRONLY | O_TRUNC | O_CLOEXEC;
	size_t off = 0;

	if (!path) {
		/* Only inside a pod: never create /dev/termination-log. */
		if (access(TERMLOG_DEFAULT_PATH, F_OK) < 0) {
			ret = 0;
			goto out;
		}
		path = TERMLOG_DEFAULT_PATH;
	} else {
		flags |= O_CREAT;
	}
	{
		struct strbuf red = STRBUF_INIT;

		log_redact(summary ? summary : "", &red);
		termlog_format(red.buf, &text);
		sb_release(&red);
	}
	/* Written in place, not renamed: the kubelet bind-mounts the file,
	 * and a rename over a mount point fails. */
	fd = open(path, flags, 0644);
	if (fd < 0) {
		log_warn("could not open termination log \"%s\": %s", path, strerror(errno));
		goto out;
	}
	while (off < text.len) {
		ssize_t w = write(fd, text.buf + off, text.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("could not write termination log \"%s\": %s", path,
				 w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		log_warn("could not write termination log \"%s\": %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	sb_release(&text);
	return ret;
}
