#!/bin/bash
# run.sh - run tungate's end-to-end tests.
#
#   tests/e2e/run.sh --as root|user BIN [TEST...]
#
# Runs every tests/e2e/test_*.sh (or the named ones, e.g. "tcp" or
# "test_tcp.sh") with TG_BIN=BIN and TG_AS=root|user, one after another, and
# ends with "e2e-WHO: N passed, M failed, K skipped". A test exits 0
# (pass), 77 (skip) or anything else (fail). Needs root: every test builds
# its own network namespaces (the "user" mode then runs tungate-run as
# nobody inside them). Exit status: 0 if nothing failed, 77 if not root,
# 1 otherwise. TG_KEEP=1 keeps each test's temp dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $0 --as root|user BIN [TEST...]" >&2
	exit 2
}
[ $# -ge 3 ] && [ "$1" = --as ] || usage
as=$2 bin=$3
shift 3
case $as in root|user) ;; *) usage ;; esac
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

if [ "$(id -u)" -ne 0 ]; then
	echo "e2e (as $as): skipped: needs root to build the lab namespaces (try: sudo $0 --as $as $bin)" >&2
	exit 77
fi
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
	echo "e2e (as $as): $bin: not an executable file (build it first: make)" >&2
	exit 1
fi

tests=()
if [ $# -eq 0 ]; then
	tests=("$here"/test_*.sh)
else
	for t in "$@"; do
		t=${t#test_}
		t=${t%.sh}
		[ -f "$here/test_$t.sh" ] || { echo "no test $here/test_$t.sh" >&2; exit 2; }
		tests+=("$here/test_$t.sh")
	done
fi

nslog=$(mktemp /tmp/tg-e2e-netns.XXXXXX)
trap 'rm -f "$nslog"' EXIT
trap 'reap_leftovers; echo "e2e (as $as): interrupted"; exit 130' INT
trap 'reap_leftovers; echo "e2e (as $as): terminated"; exit 143' TERM

# reap_leftovers: a test that was killed (by the timeout below, or ^C) may
# leave its namespaces: stop the processes inside them, by pid (only this
# test's processes can be in them), and delete them.
reap_leftovers() {
	local ns p
	while read -r ns; do
		ip netns list | grep -q "^$ns\b" || continue
		echo "   (cleaning up $ns left behind)"
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done <"$nslog"
	: >"$nslog"
}

pass=0 fail=0 skip=0 failed=()
start=$(date +%s)
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "== $name (as $as)"
	t0=$(date +%s)
	# Each test bounds its own commands; this is the last resort.
	# (--foreground: stay in the terminal's process group, so ^C reaches it.)
	TG_BIN=$bin TG_AS=$as TG_NETNS_LOG=$nslog timeout --foreground -k 10 300 \
		bash "$t" </dev/null && rc=0 || rc=$?
	reap_leftovers
	# A test that exits 130 was interrupted (^C): stop the run here.
	[ "$rc" -ne 130 ] || { echo "e2e (as $as): interrupted in $name"; exit 130; }
	dt=$(( $(date +%s) - t0 ))
	case $rc in
	0)  pass=$((pass + 1)); echo "== $name: PASS (${dt}s)" ;;
	77) skip=$((skip + 1)); echo "== $name: SKIP (${dt}s)" ;;
	*)  fail=$((fail + 1)); failed+=("$name"); echo "== $name: FAIL, status $rc (${dt}s)" ;;
	esac
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "e2e (as $as): took $(( $(date +%s) - start ))s"
echo "e2e-$as: $pass passed, $fail failed, $skip skipped"
[ -z "${TG_TALLY:-}" ] || echo "e2e-$as $pass $fail $skip" >>"$TG_TALLY"
[ "$fail" -eq 0 ]
