/* checksum.h - the Internet checksum routine lwIP is built with
 * (stack/lwipopts.h: LWIP_CHKSUM). No lwIP or socket headers: lwipopts.h
 * includes it before lwIP's own types exist.
 */
#ifndef TUNGATE_CHECKSUM_H
#define TUNGATE_CHECKSUM_H

/**
 * tg_checksum() - one's complement sum of @len bytes at @data
 * @data:	bytes, any alignment
 * @len:	their number, 0 to 0x7fffffff
 *
 * Return: the sum, not inverted, as lwIP's LWIP_CHKSUM returns it (stored
 * natively it is in network byte order)
 */
unsigned short tg_checksum(const void *data, int len);

/**
 * tg_checksum_copy() - copy @len bytes from @src to @dst and sum them
 * @dst:	destination, any alignment (the sum is as tg_checksum(@dst))
 * @src:	source, not overlapping @dst
 * @len:	bytes
 *
 * Return: tg_checksum(@dst, @len) after the copy
 */
unsigned short tg_checksum_copy(void *dst, const void *src, int len);

#endif /* TUNGATE_CHECKSUM_H */
