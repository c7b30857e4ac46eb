#!/bin/bash
# test_hostloop.sh - the gateway addresses reach the host's loopback:
# 10.12.0.1:P is LAB's 127.0.0.1:P and [fd12::1]:P is LAB's [::1]:P, for TCP
# (echo, HTTP download, refused port) and UDP. The servers listen on LAB's
# loopback only, so nothing else could answer.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

MiB=$((1 << 20))
want=$("${LT[@]}" genhash $((8 * MiB)))
for fam in 4 6; do
	set_fam $fam
	lt_expect "v$fam TCP echo $gw:$LOOP_ECHO_PORT -> LAB $loop" OK 2 \
		tg_run -- "${LT[@]}" echo "$gw" $LOOP_ECHO_PORT
	line=$(tg_run -- "${LT[@]}" peer "$gw" $LOOP_HTTP_PORT 2>&1 | tail -n 1)
	check "v$fam LAB's loopback server answers $gw: $line" test "$(kv result "$line")" = OK
	line=$(tg_run -- "${LT[@]}" download "$gw" $LOOP_HTTP_PORT --bytes $((8 * MiB)) 2>&1 | tail -n 1)
	check_sha "v$fam 8 MiB download from $gw:$LOOP_HTTP_PORT (LAB $loop), sha256 ok" "$want" "$line"
	lt_expect "v$fam UDP echo $gw:$LOOP_UDP_PORT -> LAB $loop" OK 2 \
		tg_run -- "${LT[@]}" udp "$gw" $LOOP_UDP_PORT
	lt_expect "v$fam TCP $gw:$CLOSED_PORT (nothing on LAB $loop) refused in < 1 s" ECONNREFUSED 1 \
		tg_run -- "${LT[@]}" connect "$gw" $CLOSED_PORT --timeout 3
	# The sandbox's own loopback is its own: LAB's loopback server is only
	# reachable through the gateway address.
	lt_expect "v$fam $loop:$LOOP_ECHO_PORT inside is the sandbox's own loopback (refused)" ECONNREFUSED 1 \
		tg_run -- "${LT[@]}" connect "$loop" $LOOP_ECHO_PORT --timeout 3
	# The INET servers are not on LAB's loopback: port $ECHO_PORT must not
	# answer on the gateway address.
	lt_expect "v$fam $gw:$ECHO_PORT is LAB's loopback, not INET (refused)" ECONNREFUSED 1 \
		tg_run -- "${LT[@]}" connect "$gw" $ECHO_PORT --timeout 3
done

tg_finish
