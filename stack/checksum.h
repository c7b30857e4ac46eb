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

#endif /* TUNGATE_CHECKSUM_H */
