#!/bin/bash
# test_gateway_kill.sh - SIGKILL of the gateway leaves the program alive but
# with no network at all: the program proves the network works, signals
# readiness through a file and waits; the test SIGKILLs tungate-run (the
# process it started), then lets the program try again: TCP and UDP to INET
# must fail, tun0 must be gone and no default route left.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up
export TG_TIMEOUT=60

cat >"$TG_TMP/gwkill.sh" <<'PROG'
#!/bin/sh
# gwkill.sh DIR PYTHON: runs inside the sandbox
d=$1 py=$2
lt() { "$py" "$d/labtool.py" "$@"; }
echo $$ >"$d/prog.pid"
echo $PPID >"$d/prog.ppid"
lt echo NEAR4 ECHO_PORT >"$d/before4.txt" 2>&1
lt echo NEAR6 ECHO_PORT >"$d/before6.txt" 2>&1
echo ready >"$d/ready"
i=0
while [ ! -e "$d/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
lt connect NEAR4 ECHO_PORT --timeout 3 >"$d/after4.txt" 2>&1
lt connect NEAR6 ECHO_PORT --timeout 3 >"$d/after6.txt" 2>&1
lt udp NEAR4 UDP_PORT --timeout 2 >"$d/afterudp.txt" 2>&1
ip -o link show tun0 >"$d/link.txt" 2>&1; echo "rc=$?" >>"$d/link.txt"
{ ip -4 route show default; ip -6 route show default; } >"$d/routes.txt" 2>&1
ip -o link show >"$d/links.txt" 2>&1
echo done >"$d/done"
PROG
sed -i -e "s/NEAR4/$NEAR4/g; s/NEAR6/$NEAR6/g; s/ECHO_PORT/$ECHO_PORT/g; s/UDP_PORT/$UDP_PORT/g" \
	"$TG_TMP/gwkill.sh"
chmod 755 "$TG_TMP/gwkill.sh"

tg_run_bg "$TG_TMP/tg.pid" -- "$TG_TMP/gwkill.sh" "$TG_TMP" "$PY"
if ! wait_for 20 test -e "$TG_TMP/ready"; then
	fail "program became ready" "no ready file after 20 s"
	tg_finish
fi
prog=$(cat "$TG_TMP/prog.pid")
tg_track "$prog"
tgpid=$(cat "$TG_TMP/tg.pid")
check "before: IPv4 echo through the gateway works" grep -q '^result=OK' "$TG_TMP/before4.txt"
check "before: IPv6 echo through the gateway works" grep -q '^result=OK' "$TG_TMP/before6.txt"
ppid=$(cat "$TG_TMP/prog.ppid")
if [ "$ppid" = "$tgpid" ]; then
	echo "  info  the program's parent is tungate-run ($tgpid)"
else
	echo "  info  the program's parent is $ppid, tungate-run is $tgpid"
fi

# (stderr off meanwhile: bash would report timeout(1)'s death, "Killed".)
{
	kill -KILL "$tgpid"
	wait_pid_gone 5 "$tgpid" && gone=1 || gone=0
	[ "$gone" = 0 ] || wait "$TG_BG"
} 2>/dev/null
if [ "$gone" = 1 ]; then
	pass "tungate-run ($tgpid) died of SIGKILL"
else
	fail "tungate-run ($tgpid) died of SIGKILL" "still there after 5 s"
fi
sleep 0.2   # give a (wrongly) surviving helper a moment to show itself
check "program ($prog) still alive after the gateway's death" kill -0 "$prog"
touch "$TG_TMP/go"
if ! wait_for 20 test -e "$TG_TMP/done"; then
	fail "program finished its checks" "no done file after 20 s"
	tg_finish
fi
for f in "after4:IPv4 TCP" "after6:IPv6 TCP" "afterudp:IPv4 UDP"; do
	r=$(sed -n 's/^result=\([^ ]*\).*/\1/p' "$TG_TMP/${f%%:*}.txt")
	check "after: ${f#*:} to INET fails (${r:-no result})" test -n "$r" -a "$r" != OK
done
check "after: tun0 is gone ($(tail -n 1 "$TG_TMP/link.txt"))" \
	test "$(tail -n 1 "$TG_TMP/link.txt")" != rc=0
check "after: no default route left" test ! -s "$TG_TMP/routes.txt"
links=$(awk -F': ' '{ print $2 }' "$TG_TMP/links.txt" | tr '\n' ' ')
check "after: only lo is left ($links)" test "$links" = "lo "

tg_finish
