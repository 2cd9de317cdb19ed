/*
 * unit: a minimal test runner.  A test file lists its cases in a
 * "// cases: a b c" line (CMake registers one ctest per case, each in its own
 * process, so a crash names its case) and defines them with UNIT_CASES.
 *
 *   // cases: parses_ms rejects_junk
 *   static void parses_ms(void) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *   UNIT_CASES(UNIT(parses_ms), UNIT(rejects_junk))
 */
#ifndef PREDEPLOY_UNIT_H
#define PREDEPLOY_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

extern int unit_failures;
extern const struct unit_case unit_cases[];
extern const int unit_ncases;

#define UNIT(f) { #f, f }
#define UNIT_CASES(...) \
	const struct unit_case unit_cases[] = { __VA_ARGS__ }; \
	const int unit_ncases = (int)(sizeof(unit_cases) / sizeof(unit_cases[0]));

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	unit_failures++; } } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); \
	unit_failures++; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) { \
	fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
		_a ? _a : "(null)", _b ? _b : "(null)"); unit_failures++; } } while (0)

#endif
