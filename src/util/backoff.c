/* backoff: see backoff.h. */
#include "backoff.h"

#include "banned.h"

int64_t backoff_next(struct backoff *b, int64_t left)
{
	int64_t d = b->next < b->max ? b->next : b->max;

	b->next = d > b->max / 2 ? b->max : d * 2;
	return left >= 0 && left < d ? left : d;
}

int64_t backoff_delay(int64_t first, int64_t max, int n)
{
	struct backoff b = BACKOFF_INIT(first, max);
	int64_t d = backoff_next(&b, -1);

	while (n-- > 0)
		d = backoff_next(&b, -1);
	return d;
}
