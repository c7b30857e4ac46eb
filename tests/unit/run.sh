#!/bin/sh
# run.sh - run the cmocka unit-test runners and count their tests.
#
#   tests/unit/run.sh LABEL RUNNER...
#
# Each runner prints cmocka's own summary; this script adds one closing
# line, "LABEL: N passed, M failed", counting individual tests, and appends
# "LABEL N M 0" to $TG_TALLY if set (make test sums the tallies).
set -u
label=$1
shift
pass=0 fail=0 broken=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "== $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$log" | tail -n 1)
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -n 1)
	run=${run:-0} failed=${failed:-0}
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		# Crashed (sanitizer, signal) before cmocka could count.
		failed=1
		broken=$((broken + 1))
		echo "== $t: exit status $rc"
	fi
	pass=$((pass + run - failed))
	[ "$pass" -ge 0 ] || pass=0
	fail=$((fail + failed))
done
echo "$label: $pass passed, $fail failed"
[ -z "${TG_TALLY:-}" ] || echo "$label $pass $fail 0" >>"$TG_TALLY"
[ "$fail" -eq 0 ] && [ "$broken" -eq 0 ]
