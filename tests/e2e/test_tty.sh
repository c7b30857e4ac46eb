#!/bin/bash
# test_tty.sh - interactive-terminal smoke test: under script(1) (a pty),
# the program sees a terminal on stdin/stdout/stderr, its output comes back
# and its exit status passes through.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
command -v script >/dev/null || tg_skip_all "script(1) not installed"
lab_netns

# --foreground: timeout(1) must not move the program out of the terminal's
# foreground process group.
cmd="timeout --foreground -k 5 20 $(tg_cmdline -- sh -c 'tty; for f in 0 1 2; do test -t $f && echo "fd$f-tty"; done
	if (: </dev/tty) 2>/dev/null; then echo ctty-yes; else echo ctty-no; fi; exit 4')"
rc=0
out=$(SHELL=/bin/bash timeout -k 5 30 script -qec "$cmd" /dev/null </dev/null 2>&1) || rc=$?
out=$(tr -d '\r' <<<"$out")
check "tty prints a terminal device ($(head -n 1 <<<"$out"))" grep -q '^/dev/pts/[0-9]*$' <<<"$out"
for f in 0 1 2; do
	check "fd $f is a terminal" grep -q "^fd$f-tty\$" <<<"$out"
done
check "exit status 4 passes through the pty (got $rc)" test "$rc" -eq 4
if grep -q '^ctty-yes$' <<<"$out"; then
	echo "  info  the program has a controlling terminal (/dev/tty opens)"
else
	echo "  info  the program has no controlling terminal (/dev/tty does not open)"
fi

tg_finish
