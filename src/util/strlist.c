/* strlist: see strlist.h. */
#include "strlist.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"
#include "banned.h"

void strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, sizeof(char *) * (size_t)(l->n + 2));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void strlist_add_csv(struct strlist *l, const char *csv)
{
	const char *p = csv;

	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			char *s = xstrndup(a, (size_t)(b - a));
			strlist_add(l, s);
			free(s);
		}
		p = *end ? end + 1 : end;
	}
}

int strlist_has(const struct strlist *l, const char *s)
{
	int i;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

int strlist_has_ci(const struct strlist *l, const char *s)
{
	int i;
	for (i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], s))
			return 1;
	return 0;
}

void strlist_clear(struct strlist *l)
{
	int i;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
