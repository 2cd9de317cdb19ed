/* unit: see unit.h.  `test_x CASE` runs one case; no argument runs all. */
#include "unit.h"

int unit_failures;

int main(int argc, char **argv)
{
	int i, ran = 0;

	for (i = 0; i < unit_ncases; i++) {
		if (argc > 1 && strcmp(argv[1], unit_cases[i].name))
			continue;
		unit_cases[i].fn();
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no such case: %s\n", argc > 1 ? argv[1] : "(none)");
		return 2;
	}
	return unit_failures ? 1 : 0;
}
