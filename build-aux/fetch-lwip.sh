#!/bin/sh
# fetch-lwip.sh - obtain lwIP's source from Debian's `lwip` source package.
#
# Usage: fetch-lwip.sh DESTDIR
#
# Uses a private deb-src list and a private apt lists directory under
# DESTDIR/apt, so the system's own package lists are never touched (sharing
# the default lists directory while overriding SourceList deletes the binary
# lists). `apt-get source` unpacks with dpkg-source, which applies Debian's
# patches. The result is DESTDIR/src (a symlink to the unpacked tree); a
# second run finds it and does nothing.
set -eu

dest=$(realpath -m "${1:?usage: fetch-lwip.sh DESTDIR}")  # apt needs absolute paths
if [ -f "$dest/src/src/core/tcp.c" ]; then
	exit 0
fi

mirror_from_system() {
	# deb822 sources (Debian 12 default), then one-line sources.list.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):.*\/debian\/?$/) { print $i; exit } }' "$f"
	done
}

mirror=${LWIP_DEBIAN_MIRROR:-$(mirror_from_system | head -n 1)}
if [ -z "$mirror" ]; then
	echo "fetch-lwip: no Debian mirror found in /etc/apt/sources.list*;" \
	     "set LWIP_DEBIAN_MIRROR=http://deb.debian.org/debian" >&2
	exit 1
fi
suite=${LWIP_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}

command -v dpkg-source >/dev/null || {
	echo "fetch-lwip: dpkg-source missing; run 'make deps' (package dpkg-dev)" >&2
	exit 1
}

apt="$dest/apt"
mkdir -p "$apt/lists/partial" "$dest/unpack"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
	> "$apt/src.list"
set -- -o Dir::Etc::SourceList="$apt/src.list" \
       -o Dir::Etc::SourceParts=/dev/null \
       -o Dir::State::Lists="$apt/lists" \
       -o APT::Sandbox::User=root

echo "fetch-lwip: lwip source from $mirror $suite"
apt-get "$@" update -qq
(cd "$dest/unpack" && apt-get "$@" source -qq lwip)

tree=$(find "$dest/unpack" -mindepth 2 -maxdepth 4 -path '*/src/core/tcp.c' | head -n 1)
[ -n "$tree" ] || { echo "fetch-lwip: unpacked tree has no src/core/tcp.c" >&2; exit 1; }
tree=${tree%/src/core/tcp.c}
ln -sfn "$(realpath "$tree")" "$dest/src"
echo "fetch-lwip: $(basename "$tree") ready in $dest/src"
