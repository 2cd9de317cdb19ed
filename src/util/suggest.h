/*
 * suggest: "did you mean" for misspelt commands and options.
 *
 *   struct suggest s = SUGGEST_INIT("databse-url");
 *   suggest_offer(&s, "database-url");   // for every known name
 *   suggest_offer(&s, "dir");
 *   if (s.best) hint("did you mean --%s?", s.best);
 *
 * The distance is Damerau-Levenshtein (optimal string alignment: insert,
 * delete, substitute, swap two neighbours, each 1); a candidate is kept when
 * it is within a third of the typed word's length (at least 1, at most 3),
 * or when the typed word is a prefix of it of at least 3 characters.
 * Nothing is allocated; `best` points at the caller's string.
 */
#ifndef PREDEPLOY_SUGGEST_H
#define PREDEPLOY_SUGGEST_H

struct suggest {
	const char *typed;
	const char *best;
	int dist;
};

#define SUGGEST_INIT(typed) { (typed), NULL, 1 << 30 }

/* Edit distance of a and b (each capped at 63 characters; longer is "far"). */
int suggest_distance(const char *a, const char *b);
void suggest_offer(struct suggest *s, const char *candidate);

#endif
