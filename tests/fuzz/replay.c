/*
 * replay: main() for the fuzz harnesses without libFuzzer (any compiler,
 * the normal and sanitizer test builds): runs LLVMFuzzerTestOneInput once
 * on each file named on the command line, or on every regular file of a
 * named directory, and prints how many it ran.  A failed property aborts,
 * so ctest reports the input that broke.  See fuzz.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, runs = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **list;
			int n = scandir(argv[i], &list, NULL, alphasort);
			if (n < 0)
				return 1;
			for (int k = 0; k < n; k++) {
				char path[4096];
				struct stat fst;
				snprintf(path, sizeof(path), "%s/%s", argv[i], list[k]->d_name);
				if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
					if (run_file(path) < 0)
						return 1;
					runs++;
				}
				free(list[k]);
			}
			free(list);
		} else {
			if (run_file(argv[i]) < 0)
				return 1;
			runs++;
		}
	}
	printf("replay: %d inputs, no failure\n", runs);
	return 0;
}
