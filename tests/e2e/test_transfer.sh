#!/bin/bash
# test_transfer.sh - bulk TCP through the sandbox: a 50 MiB download and a
# 50 MiB upload over IPv4 and IPv6 to INET's far addresses (one router hop
# beyond the veth), and 1 MiB each way to the near ones. The data is checked
# against sha256 sums computed outside the sandbox.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up

MiB=$((1 << 20))
BIG=$((50 * MiB))
want_big=$("${LT[@]}" genhash $BIG)
want_small=$("${LT[@]}" genhash $MiB)
export TG_TIMEOUT=150      # generous for the sanitizer build

# transfer DIR ADDR BYTES WANT_SHA
transfer() {
	local dir=$1 addr=$2 n=$3 want=$4 line
	line=$(tg_run -- "${LT[@]}" "$dir" "$addr" $HTTP_PORT --bytes "$n" --timeout 120 2>&1 | tail -n 1)
	if [ "$(kv result "$line")" = OK ] && [ "$(kv sha256 "$line")" = "$want" ] &&
	   [ "$(kv bytes "$line")" = "$n" ]; then
		pass "$dir $((n / MiB)) MiB $addr: sha256 ok, $(kv elapsed "$line") s, $(kv mbit "$line") Mbit/s"
	else
		fail "$dir $((n / MiB)) MiB $addr" "${line:-no output}"
	fi
}

for fam in 4 6; do
	set_fam $fam
	transfer download "$far" $BIG "$want_big"
	transfer upload "$far" $BIG "$want_big"
	transfer download "$near" $MiB "$want_small"
	transfer upload "$near" $MiB "$want_small"
done

# Several transfers at once in one sandbox (flows must not mix up).
line=$(tg_run -- sh -c '
	for a in "$@"; do "$0" "'"$TG_TMP"'/labtool.py" download "$a" '$HTTP_PORT' --bytes '$((8 * MiB))' & done
	wait' "$PY" "$FAR4" "$FAR6" "$NEAR4" "$NEAR6" 2>&1)
n_ok=$(printf '%s\n' "$line" | grep -c '^result=OK .*sha256='"$("${LT[@]}" genhash $((8 * MiB)))")
check "4 parallel 8 MiB downloads (v4+v6) all intact ($n_ok/4)" test "$n_ok" -eq 4

tg_finish
