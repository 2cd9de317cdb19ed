/* suggest: see suggest.h. */
#include "suggest.h"

#include <string.h>

#include "banned.h"

#define SUGGEST_MAX 64

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;
	return m < c ? m : c;
}

int suggest_distance(const char *a, const char *b)
{
	int d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
	int la = (int)strlen(a), lb = (int)strlen(b), i, j;

	if (la >= SUGGEST_MAX || lb >= SUGGEST_MAX)
		return 1 << 20;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

void suggest_offer(struct suggest *s, const char *candidate)
{
	size_t n = strlen(s->typed);
	int limit = (int)n / 3, dist;

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	dist = suggest_distance(s->typed, candidate);
	if (dist > limit) {
		if (n < 3 || strncmp(s->typed, candidate, n))
			return;
		dist = limit;   /* a prefix: as good as the worst acceptable typo */
	}
	if (dist < s->dist) {
		s->dist = dist;
		s->best = candidate;
	}
}
