/*
 * log: diagnostics on stderr, as text (human; colour only on a terminal and
 * without NO_COLOR) or json (one object a line: ts, level, msg and, for
 * errors, detail, hint, sqlstate, file, line).
 *
 * Every line passes through redaction first: secrets registered with
 * log_add_secret() (the database password, webhook secrets) are replaced by
 * "****", and so is the password part of any postgres:// URI or
 * password=... conninfo keyword.  Results (status tables, lint findings) are
 * not logs: the entrypoint prints those to stdout.
 */
#ifndef PREDEPLOY_LOG_H
#define PREDEPLOY_LOG_H

#include <stdarg.h>

#include "util/err.h"
#include "util/strbuf.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_SILENT };
enum log_format { LOG_TEXT, LOG_JSON };

void log_init(enum log_format format, enum log_level min_level);
void log_set_level(enum log_level min_level);
enum log_level log_get_level(void);
enum log_format log_get_format(void);
/* Register a secret to redact (copied; empty strings ignored). */
void log_add_secret(const char *secret);
/* Append `in` to out with every secret and URI/conninfo password redacted. */
void log_redact(const char *in, struct strbuf *out);
/* Redact an error's message, detail and hint in place (before it is stored
 * or sent anywhere: history, webhook, termination message). */
void log_redact_err(struct err *e);
/* Register the password of a connection string as a secret even when libpq
 * cannot parse it (whose error message may then quote it): the raw and the
 * percent-decoded password of a URI; in a keyword string the password=
 * value and, when it is unquoted, the words after it that have no "="
 * (what "password=two words" leaves for libpq to complain about). */
void log_add_conninfo_secrets(const char *conninfo);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);
/* Log an error with its detail, hint, SQLSTATE and file:line. */
void log_err(const struct err *e);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
