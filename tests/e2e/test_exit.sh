#!/bin/bash
# test_exit.sh - tungate-run behaves like env(1)/timeout(1) around the
# program: exit statuses (the program's, 128+N for a signal, 125/126/127 for
# its own failures), the command line, stdin/stdout/stderr, environment and
# working directory pass through, -q/-v/--help/--version, and tungate-run
# returns as soon as the program exits.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_netns
export TG_TIMEOUT=30

# ---- exit statuses
check_status "program exits 0" 0 tg_run -- true
check_status "program exits 3" 3 tg_run -- sh -c 'exit 3'
check_status "program exits 255" 255 tg_run -- sh -c 'exit 255'
check_status "program kills itself with SIGTERM -> 128+15" 143 tg_run -- sh -c 'kill -TERM $$'
check_status "program kills itself with SIGKILL -> 128+9" 137 tg_run -- sh -c 'kill -KILL $$'
check_status "command not found in PATH -> 127" 127 tg_run -- tg-no-such-command-$$
check_status "command path does not exist -> 127" 127 tg_run -- "$TG_TMP/no/such/file"
printf '#!/bin/sh\nexit 0\n' >"$TG_TMP/notexec"
chmod 644 "$TG_TMP/notexec"
check_status "file without x bit -> 126" 126 tg_run -- "$TG_TMP/notexec"
check_status "a directory as command -> 126" 126 tg_run -- "$TG_TMP"
check_status "unknown option -> 125" 125 tg_run --no-such-option -- true
check_status "--mtu with a non-number -> 125" 125 tg_run --mtu bogus -- true
check_status "--mtu below 1280 (IPv6's minimum) -> 125" 125 tg_run --mtu 1279 -- true
check_status "--mtu above 65520 -> 125" 125 tg_run --mtu 65521 -- true
check_status "--max-flows with a non-number -> 125" 125 tg_run --max-flows bogus -- true
check_status "--udp-timeout with a non-number -> 125" 125 tg_run --udp-timeout bogus -- true
check_status "no command after -- -> 125" 125 tg_run --
err=$(tg_run --no-such-option -- true 2>&1 >/dev/null)
check "unknown option: the message names it" grep -q -- --no-such-option <<<"$err"

# ---- --help, --version, -q, -v
out=$(tg_run --help 2>/dev/null) && rc=0 || rc=$?
check "--help exits 0 and documents --mtu on stdout" \
	eval '[ "$rc" -eq 0 ] && grep -q -- --mtu <<<"$out"'
out=$(tg_run --version 2>/dev/null) && rc=0 || rc=$?
check "--version exits 0 and prints something" test "$rc" -eq 0 -a -n "$out"
err=$(tg_run -q -- true 2>&1 >/dev/null)
check "-q: nothing on stderr for a clean run" test -z "$err"
err=$(tg_run -v -- true 2>&1 >/dev/null)
check "-v: something on stderr" test -n "$err"
out=$(tg_run -v -- echo hello 2>/dev/null)
check "-v: stdout is still only the program's" test "$out" = hello

# ---- arguments, stdio
out=$(tg_run -- printf '<%s>' 'a b' '' 'c*' '$HOME' '--' '-v' 2>/dev/null)
check "arguments pass through verbatim" test "$out" = '<a b><><c*><$HOME><--><-v>'
head -c $((5 << 20)) /dev/urandom >"$TG_TMP/in.bin"
chmod 644 "$TG_TMP/in.bin"
want=$(sha256sum <"$TG_TMP/in.bin")
# shellcheck disable=SC2002  # a pipe, not a file, on purpose
got=$(cat "$TG_TMP/in.bin" | tg_run -- cat | sha256sum)
check "stdin -> program -> stdout through a pipe: 5 MiB intact" test "$got" = "$want"
got=$(tg_run -- cat <"$TG_TMP/in.bin" | sha256sum)
check "stdin from a file: 5 MiB intact" test "$got" = "$want"
out=$(tg_run -- sh -c 'cat; echo end' </dev/null)
check "stdin at EOF is seen as EOF" test "$out" = end
out=$( { tg_run -- sh -c 'echo to-out; echo to-err >&2' 2>&1 1>&3 | grep -c '^to-err$'; } 3>"$TG_TMP/stdout.txt")
check "stderr passes through separately from stdout" \
	test "$out" = 1 -a "$(cat "$TG_TMP/stdout.txt")" = to-out

# ---- environment, working directory
val='a b $c '"'q'"' "d" \e'
out=$(TG_E2E_VAR=$val tg_run -- sh -c 'printf %s "$TG_E2E_VAR"' 2>/dev/null)
check "environment passes through" test "$out" = "$val"
unset TG_E2E_UNSET
out=$(tg_run -- sh -c 'echo ${TG_E2E_UNSET-unset}' 2>/dev/null)
check "unset variable stays unset" test "$out" = unset
mkdir -m 777 "$TG_TMP/work dir"
want=$(cd "$TG_TMP/work dir" && pwd -P)
out=$(cd "$TG_TMP/work dir" && tg_run -- sh -c 'pwd -P' 2>/dev/null)
check "working directory passes through" test "$out" = "$want"

# ---- tungate-run ends when the program does, even if the program left a
# background child behind (env(1)/timeout(1) do the same).
t0=$(date +%s%N)
tg_run -- sh -c 'sleep 20 </dev/null >/dev/null 2>&1 & echo $! >"$0"; exit 5' \
	"$TG_TMP/orphan.pid" && rc=0 || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -s "$TG_TMP/orphan.pid" ] && tg_track "$(cat "$TG_TMP/orphan.pid")"
check "returns 5 within 5 s although a background child lives on (${ms} ms)" \
	test "$rc" -eq 5 -a "$ms" -lt 5000

# Every tungate-run above has returned: nothing of it may linger in LAB.
check_ns_empty "$TG_LAB"

tg_finish
