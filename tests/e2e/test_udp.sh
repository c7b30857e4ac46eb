#!/bin/bash
# test_udp.sh - UDP through the gateway, IPv4 and IPv6: round trips to near
# and far addresses (small and large datagrams), a datagram to a closed port
# comes back as ECONNREFUSED (ICMP port unreachable relayed) within 2 s, an
# unroutable destination reports an unreachable error, and --udp-timeout
# ends an idle flow so a late reply is no longer delivered.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

for fam in 4 6; do
	set_fam $fam
	line=$(tg_run -- "${LT[@]}" udp "$near" $UDP_PORT 2>&1 | tail -n 1)
	check "v$fam UDP round trip $near from tun0's $sbx ($line)" \
		test "$(kv result "$line")/$(kv local "$line")" = "OK/$sbx"
	lt_expect "v$fam UDP round trip $far" OK 2 tg_run -- "${LT[@]}" udp "$far" $UDP_PORT
	lt_expect "v$fam UDP round trip $far, 8000-byte datagram" OK 2 \
		tg_run -- "${LT[@]}" udp "$far" $UDP_PORT --bytes 8000
	lt_expect "v$fam UDP to closed port $far:$CLOSED_PORT -> ECONNREFUSED in < 2 s" ECONNREFUSED 2 \
		tg_run -- "${LT[@]}" udp "$far" $CLOSED_PORT --timeout 3
	lt_expect "v$fam UDP to $noroute -> unreachable (IP_RECVERR) in < 2 s" EHOSTUNREACH\|ENETUNREACH 2 \
		tg_run -- "${LT[@]}" udp "$noroute" 53 --recverr --timeout 3
done

# Ten datagrams from ten sockets in parallel, both families.
out=$(tg_run -- sh -c 'for _ in 1 2 3 4 5; do
		"$0" "$1" udp "$2" '$UDP_PORT' & "$0" "$1" udp "$3" '$UDP_PORT' &
	done; wait' "$PY" "$TG_TMP/labtool.py" "$FAR4" "$FAR6" 2>&1)
n=$(printf '%s\n' "$out" | grep -c '^result=OK')
check "10 parallel UDP flows (v4+v6) all answered ($n/10)" test "$n" -eq 10

# An idle flow outlives a 3 s pause by default, but not --udp-timeout 1.
# (The two run side by side, each in its own sandbox, to save 3 s.)
tg_run -- "${LT[@]}" udp "$FAR4" $UDP_PORT --delay 3 --timeout 6 >"$TG_TMP/udp-default.txt" 2>&1 &
p1=$!
tg_track "$p1"
tg_run --udp-timeout 1 -- "${LT[@]}" udp "$FAR6" $UDP_PORT --delay 3 --timeout 5 \
	>"$TG_TMP/udp-short.txt" 2>&1
wait "$p1"
lt_expect "UDP reply after a 3 s pause arrives (default --udp-timeout)" OK - \
	cat "$TG_TMP/udp-default.txt"
lt_expect "UDP reply after a 3 s pause is dropped with --udp-timeout 1" TIMEOUT - \
	cat "$TG_TMP/udp-short.txt"

# The sandbox subnet's broadcast and network addresses are never relayed:
# a broadcast must not leave as unicast. Even a refused flow is logged, so
# the log must hold no record for either address, while the control
# datagram to the far host is there.
tg_run --log "$TG_TMP/bcast.jsonl" -- "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for a in ("10.12.0.255", "10.12.0.0"):
    try:
        s.sendto(b"x", (a, 9))
    except OSError as e:
        print(a, e)
s.sendto(b"x", (sys.argv[1], 9))' "$FAR4" >/dev/null 2>&1
check "a datagram to the far host is logged (control)" \
	grep -q "\"dst\":\"$FAR4:9\"" "$TG_TMP/bcast.jsonl"
check "datagrams to 10.12.0.255 and 10.12.0.0 are not relayed" \
	sh -c '! grep -q "\"dst\":\"10\.12\.0\.\(255\|0\):" "$1"' sh "$TG_TMP/bcast.jsonl"

tg_finish
