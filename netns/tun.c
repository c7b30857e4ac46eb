/* tun.c - create the sandbox's TUN device.
 *
 * sandbox_setup_network() calls tun_open() from a thread that has joined the
 * sandbox's network namespace: a TUN device is created in the namespace of
 * whoever opened /dev/net/tun, so the device lands in the sandbox while its
 * descriptor stays with the gateway.
 *
 * The device is never made persistent (no TUNSETPERSIST): it disappears
 * when the last descriptor closes, so a dead gateway leaves the sandbox with
 * no route at all rather than a silent hole.
 *
 * Opening /dev/net/tun is checked against its file mode in the host, which
 * is where unprivileged users most often fail (mode 0600 on some systems):
 * the messages say so and give the fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns/netns_int.h"

#define TUN_DEV		"/dev/net/tun"

/**
 * tun_die_open() - explain why /dev/net/tun could not be opened, and exit
 * @err:	errno from open()
 */
__attribute__((noreturn))
static void tun_die_open(int err)
{
	struct stat st;

	switch (err) {
	case ENOENT:
		die(TUN_DEV " does not exist: load the tun module "
		    "(modprobe tun)");
	case ENODEV:
	case ENXIO:
		die("cannot open " TUN_DEV ": %s. The tun driver is not "
		    "loaded: load it with modprobe tun", strerror(err));
	case EACCES:
	case EPERM:
		if (stat(TUN_DEV, &st) == 0 && (st.st_mode & 0006) != 0006) {
			die("cannot open " TUN_DEV ": %s. It is mode %04o on "
			    "this system (most distributions ship 0666); "
			    "allow users with: chmod 0666 " TUN_DEV ", or run "
			    "tungate-run as root", strerror(err),
			    (unsigned int)(st.st_mode & 07777));
		}
		die("cannot open " TUN_DEV ": %s. Its mode allows it, so a "
		    "device cgroup, a nodev mount or a security module "
		    "forbids it", strerror(err));
	default:
		die("cannot open " TUN_DEV ": %s", strerror(err));
	}
}

/**
 * tun_offload() - a struct virtio_net_hdr on each packet, and TCP/UDP
 * checksums left to whoever needs them: the program's kernel does not sum
 * what it sends, the gateway does not sum what it writes (it marks it
 * VIRTIO_NET_HDR_F_NEEDS_CSUM), and the kernel takes such packets for
 * local delivery without summing them either
 */
static void tun_offload(int fd, const char *name)
{
	int hdr = (int)sizeof(struct virtio_net_hdr);

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) < 0)
		die("setting checksum offload on TUN device %s: %m", name);
}

int tun_open(const char *name, char actual[IFNAMSIZ], bool vnet_hdr)
{
	struct ifreq ifr;
	int fd, err;

	fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		tun_die_open(errno);

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);

	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		if (err == EPERM) {
			die("creating TUN device %s: %s (no CAP_NET_ADMIN in "
			    "the sandbox's user namespace)", name,
			    strerror(err));
		}
		if (err == EBUSY || err == EEXIST || err == EINVAL) {
			die("creating TUN device %s: %s (is there already a "
			    "device of that name?)", name, strerror(err));
		}
		die("creating TUN device %s: %s", name, strerror(err));
	}

	if (vnet_hdr)
		tun_offload(fd, name);
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	debug("created TUN device %s", actual);
	return fd;
}
