/* test_util.h - small helpers shared by the unit tests (header-only: each
 * runner is its own program).
 */
#ifndef TUNGATE_TEST_UTIL_H
#define TUNGATE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/**
 * test_status_field() - a numeric field of /proc/self/status
 * @name:	field name without the colon ("CapEff", "NoNewPrivs")
 * @base:	16 for the capability masks, 10 otherwise
 * @value:	output
 *
 * Return: 0, or -1 if the field is missing
 */
static inline int test_status_field(const char *name, int base,
				    unsigned long long *value)
{
	char line[256];
	size_t len = strlen(name);
	FILE *f = fopen("/proc/self/status", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len) && line[len] == ':') {
			*value = strtoull(line + len + 1, NULL, base);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

#endif /* TUNGATE_TEST_UTIL_H */
