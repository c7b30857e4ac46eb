#!/bin/bash
# test_signals.sh - signals sent to tungate-run reach the program:
# SIGUSR1/USR2/TERM/INT/HUP/QUIT are trapped by the program, which exits with
# a distinctive status that tungate-run must reproduce; untrapped, the
# program dies of the signal and tungate-run exits 128+N. A program killed
# from outside likewise gives 128+N.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_netns
export TG_TIMEOUT=40

# The program: trap SIG (or not, if CODE is "-"), say ready, wait <= 30 s.
cat >"$TG_TMP/sigprog.sh" <<'PROG'
#!/bin/sh
d=$1 sig=$2 code=$3
[ "$code" = - ] || trap "echo $sig >'$d/got.$sig'; exit $code" "$sig"
echo $$ >"$d/prog.pid"
echo ready >"$d/ready"
i=0
while [ $i -lt 300 ]; do
	sleep 0.1 &
	wait $!          # returns at once when a trapped signal arrives
	i=$((i + 1))
done
exit 99
PROG
chmod 755 "$TG_TMP/sigprog.sh"

# run_sig SIG CODE: start the program, send SIG to tungate-run (or, with
# TARGET=program, to the program itself). Sets RC to tungate-run's status,
# or to a reason it has none. (Not in a $(...) subshell: the background pid
# must be tracked by this shell's cleanup trap.)
run_sig() {
	local sig=$1 code=$2 target=${TARGET:-tungate-run} pid
	rm -f "$TG_TMP/ready" "$TG_TMP/prog.pid" "$TG_TMP/tg.pid" "$TG_TMP/got.$sig"
	tg_run_bg "$TG_TMP/tg.pid" -- "$TG_TMP/sigprog.sh" "$TG_TMP" "$sig" "$code"
	if ! wait_for 15 test -e "$TG_TMP/ready"; then
		RC="none (program never became ready)"
		return
	fi
	if [ "$target" = program ]; then pid=$(cat "$TG_TMP/prog.pid"); else pid=$(cat "$TG_TMP/tg.pid"); fi
	kill -s "$sig" "$pid"
	if ! wait_pid_gone 10 "$TG_BG"; then
		RC="none (still running 10 s after SIG$sig)"
		return
	fi
	wait "$TG_BG" && RC=0 || RC=$?
}

n=41
for sig in USR1 USR2 TERM INT HUP QUIT; do
	run_sig $sig $n
	if [ "$RC" = "$n" ] && [ -e "$TG_TMP/got.$sig" ]; then
		pass "SIG$sig to tungate-run: program's trap ran, status $n reproduced"
	else
		fail "SIG$sig to tungate-run: want status $n from the program's trap" \
			"got $RC$([ -e "$TG_TMP/got.$sig" ] || echo ', trap did not run')"
	fi
	n=$((n + 1))
done

for sig in TERM INT HUP USR1; do
	want=$((128 + $(kill -l "$sig")))
	run_sig $sig -
	check "SIG$sig to tungate-run, program does not trap it -> $want (got $RC)" \
		test "$RC" = "$want"
done

for sig in KILL TERM; do
	want=$((128 + $(kill -l "$sig")))
	TARGET=program run_sig $sig -
	check "program killed by SIG$sig from outside -> $want (got $RC)" test "$RC" = "$want"
done

# Every tungate-run above has returned: nothing of it may linger in LAB.
check_ns_empty "$TG_LAB"

tg_finish
