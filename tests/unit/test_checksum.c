/* test_checksum.c - unit tests of the checksum routine lwIP is built with
 * (stack/checksum.c): equal to the plain RFC 1071 sum, 16 bits at a time
 * in network order, for every length and start alignment, and on the
 * values that stress end-around carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "stack/checksum.h"

/* The reference: lwIP's "version #1", byte by byte, big-endian words. */
static uint16_t reference(const uint8_t *p, int len)
{
	uint32_t acc = 0;

	for (; len > 1; p += 2, len -= 2)
		acc += (uint32_t)(p[0] << 8 | p[1]);
	if (len > 0)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 16)
		acc = (acc >> 16) + (acc & 0xffff);
	return htons((uint16_t)acc);
}

static void test_every_length_and_alignment(void **state)
{
	static uint8_t buf[2100];
	int off, len;

	(void)state;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (off = 0; off < 8; off++) {
		for (len = 0; len <= 2000; len++)
			assert_int_equal(tg_checksum(buf + off, len),
					 reference(buf + off, len));
	}
}

static void test_carries(void **state)
{
	static uint8_t ones[65536 + 8];
	int off;

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	for (off = 0; off < 2; off++) {
		assert_int_equal(tg_checksum(ones + off, 65536),
				 reference(ones + off, 65536));
		assert_int_equal(tg_checksum(ones + off, 65535),
				 reference(ones + off, 65535));
	}
	ones[0] = 0x00;
	ones[1] = 0x01;
	assert_int_equal(tg_checksum(ones, 65536), reference(ones, 65536));
}

static void test_known_value(void **state)
{
	/* RFC 1071, 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(ntohs(tg_checksum(ex, sizeof(ex))), 0xddf2);
	assert_int_equal(tg_checksum(ex, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_length_and_alignment),
		cmocka_unit_test(test_carries),
		cmocka_unit_test(test_known_value),
	};

	return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
