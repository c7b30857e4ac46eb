/* privileges.c - the sandboxed program's privilege drop, just before exec.
 *
 * The child forked by sandbox_spawn() holds every capability of the user
 * namespace netns_userns_enter() created; with them it could reconfigure its
 * network namespace and route around the gateway. privileges_drop_all()
 * takes all of them away for good, with libcap, in this order:
 *
 *   1. bounding set emptied          } both need CAP_SETPCAP in the
 *   2. securebits set and locked     } effective set: do them first
 *   3. ambient set cleared
 *   4. effective, permitted and inheritable sets cleared
 *   5. PR_SET_NO_NEW_PRIVS           no setuid or file-capability gains
 *
 * The securebits make uid 0 ordinary: SECBIT_NOROOT (an exec as root grants
 * nothing), SECBIT_NO_SETUID_FIXUP, SECBIT_KEEP_CAPS (off, locked) and
 * SECBIT_NO_CAP_AMBIENT_RAISE, each with its lock so the program cannot
 * undo them. After step 4 nothing can be raised again: the bounding set is
 * empty and file capabilities are ignored under no_new_privs.
 */
#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "netns/netns.h"

/* The securebits the program runs with (each bit and its lock) */
#define PRIVILEGES_SECBITS						\
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |				\
	 SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |	\
	 SECBIT_KEEP_CAPS_LOCKED |					\
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

int privileges_drop_all(void)
{
	cap_value_t c, max = (cap_value_t)cap_max_bits();
	cap_t none;
	int rc;

	for (c = 0; c < max; c++) {
		if (cap_drop_bound(c) && errno != EINVAL)
			return -errno;
	}

	if (cap_set_secbits(PRIVILEGES_SECBITS))
		return -errno;

	if (cap_reset_ambient())
		return -errno;

	none = cap_init();		/* every flag of every set cleared */
	if (!none)
		return -errno;
	rc = cap_set_proc(none);
	if (rc)
		rc = -errno;
	cap_free(none);
	if (rc)
		return rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;

	return 0;
}
