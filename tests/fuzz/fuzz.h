/*
 * fuzz: shared bits of the libFuzzer harnesses in tests/fuzz/ (one
 * fuzz_<target>.c per target, each defining LLVMFuzzerTestOneInput).
 *
 * Built two ways (CMakeLists.txt): with clang and -fsanitize=fuzzer (plus
 * ASan and UBSan) by scripts/fuzz, and with any compiler against replay.c,
 * whose main() runs the harness once on every file named on its command
 * line (directories: every file in them), so the kept crash inputs in
 * tests/fuzz/regress/<target>/ are re-checked by every ctest run.
 *
 * A harness checks properties, not only "does not crash": FUZZ_CHECK(cond)
 * aborts with the failed condition, which libFuzzer reports as a crash and
 * keeps as a reproducer.
 */
#ifndef PREDEPLOY_FUZZ_H
#define PREDEPLOY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,  \
				__LINE__, #cond);                                \
			abort();                                                \
		}                                                               \
	} while (0)

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

#endif
