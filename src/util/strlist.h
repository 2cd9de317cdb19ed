/*
 * strlist: a growable, NULL-terminated list of owned strings (repeatable
 * options, comma-separated variables, positional arguments).
 *
 *   struct strlist l = STRLIST_INIT;
 *   strlist_add_csv(&l, "a, b,,c");      // "a" "b" "c"
 *   if (strlist_has(&l, "b")) ...
 *   strlist_clear(&l);                    // safe twice
 *
 * l.v[l.n] is NULL whenever l.n > 0, so l.v can be passed as an argv.
 */
#ifndef PREDEPLOY_STRLIST_H
#define PREDEPLOY_STRLIST_H

struct strlist {
	char **v;
	int n;
};

#define STRLIST_INIT { NULL, 0 }

void strlist_add(struct strlist *l, const char *s);
/* Split "a,b, c" on commas (trimming blanks) and add each non-empty part. */
void strlist_add_csv(struct strlist *l, const char *csv);
int strlist_has(const struct strlist *l, const char *s);
int strlist_has_ci(const struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);

#endif
