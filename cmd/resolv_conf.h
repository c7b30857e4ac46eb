/* resolv_conf.h - the nameservers the sandbox's resolver library will ask:
 * the sandbox shares the host's /etc/resolv.conf, so the gateway reads the
 * same file to know which flows are DNS queries it serves.
 */
#ifndef TUNGATE_RESOLV_CONF_H
#define TUNGATE_RESOLV_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

#define RESOLV_CONF_PATH	"/etc/resolv.conf"

/**
 * resolv_conf_parse() - the "nameserver ADDRESS" lines of a resolv.conf
 * @f:		the file, read to its end
 * @out:	nameservers found, port 53, in order, without duplicates
 * @max:	room in @out; later ones are ignored (glibc uses three)
 *
 * Read as glibc reads it: keyword at the start of a line, address up to
 * white space, '#' or ';' starts a comment; lines it would not understand
 * (a zone index as in fe80::1%eth0, which no link in the sandbox could
 * reach, or no address at all) are skipped. Without any nameserver, glibc
 * asks the local machine: 127.0.0.1 and ::1.
 *
 * Return: how many are in @out (at least one when @max is)
 */
size_t resolv_conf_parse(FILE *f, struct tg_endpoint *out, size_t max);

/**
 * resolv_conf_read() - resolv_conf_parse() on @path; a missing or
 * unreadable file counts as one without nameservers
 */
size_t resolv_conf_read(const char *path, struct tg_endpoint *out, size_t max);

#endif /* TUNGATE_RESOLV_CONF_H */
