/*
 * termlog: the Kubernetes termination message, a one-line summary of how the
 * run ended that `kubectl describe pod` and the Job's status show.
 *
 *   termlog_write(cfg.termination_log, "migrated 0002 -> 0005 in 1.2s");
 *
 * The path is cfg->termination_log when set (created if missing), else
 * /dev/termination-log only when it exists (the kubelet mounts it; outside
 * Kubernetes nothing is written).  The message is made one line (CR/LF become
 * spaces) and cut to at most TERMLOG_CAP bytes on a UTF-8 character
 * boundary.  Failures are logged with log_warn, never fatal: the deploy's
 * outcome does not depend on its report.
 */
#ifndef PREDEPLOY_TERMLOG_H
#define PREDEPLOY_TERMLOG_H

#include <stddef.h>

#include "util/strbuf.h"

#define TERMLOG_CAP 4096                 /* the kubelet's limit per container */
#define TERMLOG_DEFAULT_PATH "/dev/termination-log"

/* Write the summary.  Returns 1 when written, 0 when skipped (no path set
 * and no /dev/termination-log), -1 when writing failed (already logged). */
int termlog_write(const char *path, const char *summary);

/* The content termlog_write writes for summary: one line, at most
 * TERMLOG_CAP bytes, cut on a UTF-8 boundary (appended to out). */
void termlog_format(const char *summary, struct strbuf *out);

#endif
