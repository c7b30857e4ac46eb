#!/bin/bash
# test_tcp.sh - TCP semantics through the gateway, IPv4 and IPv6: echo to
# near and far addresses, a refused port fails fast with ECONNREFUSED, an
# unroutable destination fails fast with an unreachable error, half-close
# works, and 200 concurrent connections all succeed.
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

for fam in 4 6; do
	eval near=\$NEAR$fam far=\$FAR$fam noroute=\$NOROUTE$fam
	lt_expect "v$fam echo $near" OK - tg_run -- "${LT[@]}" echo "$near" $ECHO_PORT
	lt_expect "v$fam echo $far (64 KiB)" OK - \
		tg_run -- "${LT[@]}" echo "$far" $ECHO_PORT --bytes 65536
	lt_expect "v$fam refused port $far:$CLOSED_PORT -> ECONNREFUSED in < 1 s" ECONNREFUSED 1 \
		tg_run -- "${LT[@]}" connect "$far" $CLOSED_PORT --timeout 5
	lt_expect "v$fam no route to $noroute -> unreachable in < 2 s" EHOSTUNREACH\|ENETUNREACH 2 \
		tg_run -- "${LT[@]}" connect "$noroute" 80 --timeout 5
	lt_expect "v$fam half-close, 10 bytes, reply read after SHUT_WR" OK - \
		tg_run -- "${LT[@]}" halfclose "$far" $SUM_PORT --bytes 10
	lt_expect "v$fam half-close, 4 MiB, reply read after SHUT_WR" OK - \
		tg_run -- "${LT[@]}" halfclose "$far" $SUM_PORT --bytes $((4 << 20))
	lt_expect "v$fam 200 concurrent connections to $far" OK - \
		tg_run -- "${LT[@]}" concurrent "$far" $ECHO_PORT --count 200 --timeout 30
done

# Mixed: both families at once from one sandbox, 100 + 100 connections.
out=$(tg_run -- sh -c '"$0" "$1" concurrent "$2" '$ECHO_PORT' --count 100 &
	"$0" "$1" concurrent "$3" '$ECHO_PORT' --count 100; wait' \
	"$PY" "$TG_TMP/labtool.py" "$NEAR4" "$NEAR6" 2>&1)
check "100 IPv4 + 100 IPv6 concurrent connections at once" \
	test "$(printf '%s\n' "$out" | grep -c '^result=OK ok=100 ')" -eq 2

tg_finish
