#!/bin/bash
# test_00_lab.sh - the lab itself, without tungate-run: every server answers
# from LAB directly (as root and as nobody), and the tg_run plumbing puts a
# command in LAB as the right user with a usable /dev/net/tun. If this fails,
# the other tests' failures say nothing about tungate.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
TG_BIN=${TG_BIN:-/bin/true}
tg_init
lab_up

MiB=$((1 << 20))
for fam in 4 6; do
	set_fam $fam
	for dst in "$near" "$far"; do
		lt_expect "lab: TCP echo $dst" OK - n_lab "${LT[@]}" echo "$dst" $ECHO_PORT
		lt_expect "lab: UDP echo $dst" OK - n_lab "${LT[@]}" udp "$dst" $UDP_PORT
	done
	lt_expect "lab: 50 MiB download from $far" OK - \
		n_lab "${LT[@]}" download "$far" $HTTP_PORT --bytes $((50 * MiB))
	lt_expect "lab: 50 MiB upload to $far" OK - \
		n_lab "${LT[@]}" upload "$far" $HTTP_PORT --bytes $((50 * MiB))
	lt_expect "lab: half-close to $far" OK - \
		n_lab "${LT[@]}" halfclose "$far" $SUM_PORT --bytes 100000
	lt_expect "lab: 200 concurrent connections to $far" OK - \
		n_lab "${LT[@]}" concurrent "$far" $ECHO_PORT --count 200
	lt_expect "lab: TCP to closed port on $far refused" ECONNREFUSED 1 \
		n_lab "${LT[@]}" connect "$far" $CLOSED_PORT
	lt_expect "lab: UDP to closed port on $far refused" ECONNREFUSED 2 \
		n_lab "${LT[@]}" udp "$far" $CLOSED_PORT
	lt_expect "lab: UDP to $noroute unreachable (IP_RECVERR)" ENETUNREACH 1 \
		n_lab "${LT[@]}" udp "$noroute" 53 --recverr
	lt_expect "lab: TCP to $noroute unreachable" ENETUNREACH 1 \
		n_lab "${LT[@]}" connect "$noroute" 80
	lt_expect "lab: nobody: TCP echo $far" OK - \
		n_lab_nobody "${LT[@]}" echo "$far" $ECHO_PORT
	lt_expect "lab: nobody: 1 MiB download from $far" OK - \
		n_lab_nobody "${LT[@]}" download "$far" $HTTP_PORT --bytes $MiB
	lt_expect "lab: nobody: UDP echo $far" OK - \
		n_lab_nobody "${LT[@]}" udp "$far" $UDP_PORT
done
lt_expect "lab: loopback TCP echo 127.0.0.1" OK - n_lab "${LT[@]}" echo 127.0.0.1 $LOOP_ECHO_PORT
lt_expect "lab: loopback TCP echo ::1" OK - n_lab "${LT[@]}" echo ::1 $LOOP_ECHO_PORT
lt_expect "lab: loopback UDP echo 127.0.0.1" OK - n_lab "${LT[@]}" udp 127.0.0.1 $LOOP_UDP_PORT
lt_expect "lab: loopback UDP echo ::1" OK - n_lab "${LT[@]}" udp ::1 $LOOP_UDP_PORT

# The client's sha256 must be the real one (not just self-consistent).
want=$("${LT[@]}" genhash $((50 * MiB)))
line=$(n_lab "${LT[@]}" download "$FAR4" $HTTP_PORT --bytes $((50 * MiB)))
check_sha "lab: downloaded sha256 matches genhash" "$want" "$line"
# ...and a mismatch is detected: the same stream one byte shorter.
line=$(n_lab "${LT[@]}" download "$FAR4" $HTTP_PORT --bytes $((50 * MiB - 1)))
check "lab: sha256 of a 1-byte shorter stream differs" test "$(kv sha256 "$line")" != "$want"

# The tg_run plumbing, with /bin/sh standing in for tungate-run.
TG_BIN=/bin/sh
TG_POLICY_ARGS=()
tun_mode=$(stat -c %a /dev/net/tun)
out=$(tg_run -c 'id -u; id -g; id -G; test -r /dev/net/tun && test -w /dev/net/tun && echo tun-rw;
	ip -o link show veth0 >/dev/null && echo in-lab' 2>&1)
want_ids="$TG_UID
$TG_GID
$TG_GID
tun-rw
in-lab"
check "tg_run: runs in LAB as uid $TG_UID with /dev/net/tun usable" test "$out" = "$want_ids"
check "tg_run: real /dev/net/tun mode unchanged ($tun_mode)" \
	test "$(stat -c %a /dev/net/tun)" = "$tun_mode"
check_status "tg_run: status passes through" 7 tg_run -c 'exit 7'
if [ "$TG_AS" = user ]; then
	check "tg_run: a file made by the user lands in the temp dir" \
		tg_run -c "touch '$TG_TMP/by-user'"
	check "tg_run: ... owned by nobody" test "$(stat -c %u "$TG_TMP/by-user")" = $NOBODY_UID
fi

tg_finish
