#!/bin/bash
# test_udp.sh - UDP through the gateway, IPv4 and IPv6: round trips to near
# and far addresses (small and large datagrams), a datagram to a closed port
# comes back as ECONNREFUSED (ICMP port unreachable relayed) within 2 s, an
# unroutable destination reports an unreachable error, and --udp-timeout
# ends an idle flow so a late reply is no longer delivered.
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

for fam in 4 6; do
	eval near=\$NEAR$fam far=\$FAR$fam noroute=\$NOROUTE$fam
	lt_expect "v$fam UDP round trip $near" OK 2 tg_run -- "${LT[@]}" udp "$near" $UDP_PORT
	lt_expect "v$fam UDP round trip $far" OK 2 tg_run -- "${LT[@]}" udp "$far" $UDP_PORT
	lt_expect "v$fam UDP round trip $far, 8000-byte datagram" OK 2 \
		tg_run -- "${LT[@]}" udp "$far" $UDP_PORT --bytes 8000
	lt_expect "v$fam UDP to closed port $far:$CLOSED_PORT -> ECONNREFUSED in < 2 s" ECONNREFUSED 2 \
		tg_run -- "${LT[@]}" udp "$far" $CLOSED_PORT --timeout 3
	lt_expect "v$fam UDP to $noroute -> unreachable (IP_RECVERR) in < 2 s" EHOSTUNREACH\|ENETUNREACH 2 \
		tg_run -- "${LT[@]}" udp "$noroute" 53 --recverr --timeout 3
done

# Ten datagrams from ten sockets in parallel, both families.
out=$(tg_run -- sh -c 'for i in 1 2 3 4 5; do
		"$0" "$1" udp "$2" '$UDP_PORT' & "$0" "$1" udp "$3" '$UDP_PORT' &
	done; wait' "$PY" "$TG_TMP/labtool.py" "$FAR4" "$FAR6" 2>&1)
check "10 parallel UDP flows (v4+v6) all answered" \
	test "$(printf '%s\n' "$out" | grep -c '^result=OK')" -eq 10

# An idle flow outlives a 3 s pause by default, but not --udp-timeout 1.
lt_expect "UDP reply after 3 s delay arrives (default timeout)" OK - \
	tg_run -- "${LT[@]}" udp "$FAR4" $UDP_PORT --delay 3 --timeout 6
lt_expect "UDP reply after 3 s delay dropped with --udp-timeout 1" TIMEOUT - \
	tg_run --udp-timeout 1 -- "${LT[@]}" udp "$FAR4" $UDP_PORT --delay 3 --timeout 5

tg_finish
