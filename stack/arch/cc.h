/* arch/cc.h - lwIP's platform port for tungate: Linux, glibc, 64-bit.
 *
 * Byte order functions map to compiler builtins and lwIP is told not to
 * define htons() & co. itself, so lwIP headers can sit beside glibc's
 * <netinet/in.h> without macro clashes. Assertions abort: an lwIP assertion
 * is a bug in the gateway, never a reaction to a packet.
 */
#ifndef TUNGATE_ARCH_CC_H
#define TUNGATE_ARCH_CC_H

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/time.h>

#define LWIP_TIMEVAL_PRIVATE            0
#define LWIP_ERRNO_STDINCLUDE           1
#define LWIP_NO_STDINT_H                0
#define LWIP_NO_INTTYPES_H              0
#define LWIP_NO_LIMITS_H                0
#define LWIP_NO_CTYPE_H                 0


#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define lwip_htons(x)                   ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x)                   ((u32_t)__builtin_bswap32((u32_t)(x)))

#define LWIP_RAND()                     tg_lwip_rand()
uint32_t tg_lwip_rand(void);

#define LWIP_PLATFORM_DIAG(x)           do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                              \
	do {                                                                 \
		fprintf(stderr, "tungate: lwIP assertion \"%s\" at %s:%d\n", \
			(x), __FILE__, __LINE__);                            \
		abort();                                                     \
	} while (0)

#endif /* TUNGATE_ARCH_CC_H */
