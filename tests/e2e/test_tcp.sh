#!/bin/bash
# test_tcp.sh - TCP semantics through the gateway, IPv4 and IPv6: echo to
# near and far addresses, a refused port fails fast with ECONNREFUSED, an
# unroutable destination fails fast with an unreachable error, half-close
# works, and 200 concurrent connections all succeed.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

for fam in 4 6; do
	set_fam $fam
	# The program's end is tun0's address; INET sees the gateway's
	# connection from LAB (the host's namespace).
	line=$(tg_run -- "${LT[@]}" peer "$far" $HTTP_PORT 2>&1 | tail -n 1)
	check "v$fam the program's socket is on tun0 ($sbx): local=$(kv local "$line")" \
		test "$(kv local "$line")" = "$sbx"
	check "v$fam INET sees the connection from LAB ($lab): peer=$(kv peer "$line")" \
		test "$(kv peer "$line")" = "$lab"
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

# --max-flows: a burst beyond the limit may be refused, but the gateway must
# come through it: a new connection afterwards works. (How many of the 50
# got through is shown, not judged.)
out=$(tg_run --max-flows 10 -- sh -c '"$0" "$1" concurrent "$2" '$ECHO_PORT' --count 50 --timeout 5
	"$0" "$1" echo "$2" '$ECHO_PORT "$PY" "$TG_TMP/labtool.py" "$FAR4" 2>&1)
echo "  info  --max-flows 10, 50 at once: $(grep '^result=' <<<"$out" | head -n 1)"
check "--max-flows 10: after a burst of 50, a new connection works" \
	test "$(grep '^result=' <<<"$out" | sed -n '2s/ .*//p')" = result=OK
line=$(tg_run --max-flows 1000 -- "${LT[@]}" concurrent "$FAR6" $ECHO_PORT --count 200 2>&1 | tail -n 1)
check "--max-flows 1000: 200 concurrent connections ($line)" test "$(kv result "$line")" = OK

# The host closes first and then reads slowly: the program gets end of file
# at once, sends 512 KiB and closes. The gateway's upload queue still holds
# data when both FINs are through lwIP, and still does after lwIP's 2 s of
# TIME-WAIT would have ended: the flow must have let go of lwIP's pcb (lwIP
# frees a TIME-WAIT pcb on its own; an ASan build of the gateway shows a
# use after free otherwise), and every byte must arrive.
SLOW_PORT=7011
timeout -k 2 120 ip netns exec "$TG_INET" "$PY" -c '
import hashlib, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
open(sys.argv[3], "w").close()
s.settimeout(60)
c, _ = s.accept()
c.shutdown(socket.SHUT_WR)
time.sleep(3.5)
h, n = hashlib.sha256(), 0
c.settimeout(20)
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
print("got=%d sha256=%s" % (n, h.hexdigest()), flush=True)
' "$FAR4" $SLOW_PORT "$TG_TMP/slow.ready" >"$TG_TMP/slow.out" 2>&1 &
tg_track $!
wait_for 10 test -e "$TG_TMP/slow.ready" || { echo "slow server did not start" >&2; exit 1; }
want=$("$PY" -c 'import hashlib; print(hashlib.sha256(bytes(range(256)) * 2048).hexdigest())')
tg_run --drain-timeout 20 -- "$PY" -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
assert c.recv(1) == b""
c.sendall(bytes(range(256)) * 2048)
c.close()
' "$FAR4" $SLOW_PORT >"$TG_TMP/slow.client" 2>&1
wait_for 25 grep -q got= "$TG_TMP/slow.out"
check "host closed first and read late: 512 KiB arrive whole after lwIP's TIME-WAIT ($(cat "$TG_TMP/slow.out"))" \
	grep -qx "got=524288 sha256=$want" "$TG_TMP/slow.out"

tg_finish
