#!/bin/sh
# deps.sh - install the Debian packages tungate builds and tests with, then
# fetch lwIP's source (build-aux/fetch-lwip.sh). Installs only what is
# missing; a second run is a few dpkg queries and nothing else.
#
# Usage: deps.sh LWIP_DESTDIR [--bench]
#   --bench also installs what `make bench` compares against and draws
#   with: slirp4netns, passt (pasta), gnuplot-nox.
set -eu

# Build: compiler, pkg-config, dpkg-source (unpacks Debian's lwip source),
# libraries. Tests: cmocka, iproute2 (ip, tc), util-linux (setpriv, unshare),
# curl, python3 (lab servers), iperf3 (throughput figure), procps (sysctl),
# dnsmasq-base (the lab's DNS server), bind9-dnsutils (dig), openssl (TLS
# server and client), git and python3-pip (the names allowlist example).
packages="build-essential pkg-config dpkg-dev debian-archive-keyring xz-utils
	libnl-3-dev libnl-route-3-dev libcap-dev libjson-c-dev libcmocka-dev libldns-dev
	iproute2 util-linux curl python3 iperf3 procps dnsmasq-base
	bind9-dnsutils openssl git python3-pip"

[ "${2:-}" = --bench ] && packages="$packages slirp4netns passt gnuplot-nox"

missing=
for p in $packages; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages:$missing" >&2
		echo "deps: install them with: sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
	}
fi

exec "$(dirname "$0")/fetch-lwip.sh" "$1"
