/*
 * sqllex: the one SQL lexer of predeploy.  Migration splitting (sqlsplit.c),
 * the restore scanner (restore_scan.c) and lint use it, so they agree on
 * where a statement ends.  psql's lexer (src/fe_utils/psqlscan.l) is the
 * model: what psql would send as one statement is one statement here.
 *
 * It knows: whitespace; "--" comments to the end of the line (\n or \r,
 * as the server's scanner has it); nested
 * block comments; '...' strings with '' doubling (backslash escapes in
 * E'...' and when std_strings is 0); "..." identifiers with "" doubling;
 * $tag$...$tag$ dollar quotes with tags of any length ($$ too; "a$b$" is
 * one identifier, "$1" a parameter, and after a quoted identifier a "$"
 * starts a new token, so ""$$;$$ holds no ';'); parentheses (a ';' inside
 * them does not end a statement, as in psql); the bodies of
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END (psql's
 * BEGIN/CASE/END counting); and, in psql mode, backslash lines and the
 * data after COPY ... FROM STDIN up to its "\." line.
 *
 * The caller owns the input buffer and may feed it in pieces: every call
 * gets the bytes buf[0, len) and `eof` (no bytes will follow).  Offsets
 * are into buf.  SQLLEX_MORE means "append more input and call again";
 * before appending, the caller may drop the bytes before sqllex_keep(lx)
 * from the front of its buffer and must then call sqllex_shift(lx, n) with
 * the number of bytes dropped.  Long tokens (a 50 MB dollar-quoted body)
 * are resumed, never rescanned.  A whole-text caller passes eof = 1.
 *
 * Layer 1, tokens (lint's depth estimate, the restore guard):
 *
 *   struct sqllex lx; struct sqltok t; struct err e = ERR_INIT;
 *   sqllex_init(&lx, 0);
 *   while (sqllex_token(&lx, sql, len, 1, &t, &e) == SQLLEX_TOKEN)
 *       use(t.kind, sql + t.off, t.len, t.line);
 *   sqllex_release(&lx);          // -1 with e: unterminated quote/comment
 *
 * Layer 2, statements (sqlsplit, restore_scan):
 *
 *   sqllex_init(&lx, SQLLEX_PSQL);
 *   for (;;) {
 *       int r = sqllex_statement(&lx, buf, len, eof, &st, &e);
 *       SQLLEX_STATEMENT  buf[st.off, st.off + st.len): one statement without
 *                         its ';' and without trailing blanks (comments
 *                         inside are kept); st.terminated = 0 when the
 *                         input ended without ';'; st.words, st.copy: facts
 *                         for the caller's checks (below)
 *       SQLLEX_META       a backslash line, psql mode (no newline);
 *                         st.inside = 1 when it came inside a statement
 *       SQLLEX_COMMENT    a comment between statements, psql mode
 *       SQLLEX_COPY_DATA  psql mode, after a COPY ... FROM STDIN statement:
 *                         a piece of its data (rows may be split)
 *       SQLLEX_COPY_END   its "\." line
 *       SQLLEX_MORE / SQLLEX_EOF / -1 (e set, e->line = where it began)
 *   }
 *
 * Errors are EXIT_DATAERR: an unterminated quote, dollar quote or comment
 * at the end of input, text after "COPY ... FROM stdin;" on its line,
 * input ending inside COPY data.  Memory: the struct only; tokens and
 * statements are offsets into the caller's buffer.
 */
#ifndef PREDEPLOY_SQLLEX_H
#define PREDEPLOY_SQLLEX_H

#include <stddef.h>

#include "util/err.h"

enum sqltok_kind {
	SQLTOK_SPACE = 1,
	SQLTOK_COMMENT,     /* -- line (without the newline) or block comment */
	SQLTOK_WORD,        /* keyword or unquoted identifier (may contain '$') */
	SQLTOK_QIDENT,      /* "quoted identifier", quotes included */
	SQLTOK_STRING,      /* '...', E'...' (prefix included); B/X/N/U& prefixes are WORDs before it */
	SQLTOK_DOLLAR,      /* $tag$...$tag$ */
	SQLTOK_PARAM,       /* $1 */
	SQLTOK_NUMBER,
	SQLTOK_OP,          /* a run of operator characters */
	SQLTOK_PUNCT,       /* one of ( ) [ ] , ; : . */
	SQLTOK_BACKSLASH,   /* psql mode: a backslash command line, without the newline */
};

enum sqllex_ret {
	SQLLEX_MORE = 0,
	SQLLEX_TOKEN,
	SQLLEX_STATEMENT,
	SQLLEX_META,
	SQLLEX_COMMENT,
	SQLLEX_COPY_DATA,
	SQLLEX_COPY_END,
	SQLLEX_EOF,
};

/* sqllex_init flags */
#define SQLLEX_PSQL 1      /* backslash lines, COPY FROM STDIN data, comments between statements */

enum sqllex_copy { SQLLEX_COPY_NONE, SQLLEX_COPY_FROM_STDIN, SQLLEX_COPY_OTHER };

struct sqltok {
	enum sqltok_kind kind;
	size_t off, len;
	long line;          /* 1-based line of its first byte */
};

#define SQLLEX_WORDS 3
#define SQLLEX_WORD_CAP 32

struct sqllex_stmt {
	size_t off, len;
	long line;
	int terminated;     /* ended by ';' */
	int inside;         /* META: came inside a statement */
	/* The first SQLLEX_WORDS tokens when they are WORDs, lower case ("" when
	 * absent, not a word, or longer than SQLLEX_WORD_CAP - 1). */
	char words[SQLLEX_WORDS][SQLLEX_WORD_CAP];
	/* a COPY statement: FROM STDIN (data follows in psql mode), or any other
	 * form (TO, FROM PROGRAM, FROM 'file') */
	enum sqllex_copy copy;
};

struct sqllex {
	int flags;
	int std_strings;    /* standard_conforming_strings; 1 after sqllex_init */
	size_t pos;         /* next byte to scan */
	long line;          /* line of buf[pos] */

	/* private: the token in progress */
	int tk, sub, esc;
	size_t tstart, tag_off, tag_len;
	long tline;
	/* private: the statement in progress */
	int in_stmt, paren, begin_depth, nident, nwords, copy_state, copy_from;
	char idents[4];
	size_t soff, send;
	long sline;
	struct sqllex_stmt cur;
	/* private: COPY data */
	int copy, copy_skip, line_start;
	long copy_line;
};

void sqllex_init(struct sqllex *lx, int flags);
void sqllex_release(struct sqllex *lx);

/* Next token (SQLLEX_TOKEN), SQLLEX_MORE, SQLLEX_EOF, or -1. */
int sqllex_token(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqltok *t, struct err *e);

/* Next statement-level item (see above), SQLLEX_MORE, SQLLEX_EOF, or -1. */
int sqllex_statement(struct sqllex *lx, const char *buf, size_t len, int eof, struct sqllex_stmt *st,
		     struct err *e);

/* The first byte the lexer still needs (the statement or token in
 * progress); bytes before it may be dropped. */
size_t sqllex_keep(const struct sqllex *lx);
/* The caller dropped n (<= sqllex_keep()) bytes from the front of its buffer. */
void sqllex_shift(struct sqllex *lx, size_t n);

#endif
