#!/bin/bash
# test_loopback.sh - the sandbox's own loopback goes through the gateway, as
# root and as nobody. The program (loopcheck.py, run inside the sandbox)
# starts its own servers and clients, so every delivery is counted where it
# lands:
#  - allowed (--allow loopback, --default allow, address and prefix rules):
#    TCP and UDP round trips on 127.0.0.1, 127.0.0.5, ::1, ::ffff:127.0.0.1,
#    10.12.0.2 and fd12::2 (servers on those addresses, on 0.0.0.0 and on a
#    dual-stack [::]), the server sees the loopback peer it would without
#    the sandbox; the largest datagrams lo carries.
#  - denied (default deny, --deny 127.0.0.1:7001 --allow loopback, rules for
#    other addresses, --allow host, --deny loopback --allow *): TCP is
#    ECONNREFUSED and UDP EHOSTUNREACH (IPv4) / EACCES (IPv6) in < 1 s, the
#    server got nothing, and a "tungate: denied" line names the destination
#    and the rule. `loopback` is not `host` and `host` is not `loopback`.
#  - the --log record of a loopback flow: scope, verdict, rule, exact bytes
#    for 5 MiB each way (IPv4 and IPv6), UDP, a denied flow.
#  - no way around the gateway: with nothing allowed, 300-odd attempts
#    (SO_BINDTODEVICE lo, IP(V6)_UNICAST_IF, IP(V6)_PKTINFO, a client bound to
#    127.0.0.1/::1, SO_DONTROUTE, SO_BINDTODEVICE tun0, scope id, v4-mapped,
#    0.0.0.0 and ::, UDP-Lite, MPTCP, GSO, 65000-byte datagrams, multicast,
#    broadcast) deliver nothing to the program's own servers, and raw,
#    packet and ping sockets, SO_MARK, IP_TRANSPARENT, TCP_REPAIR, a second
#    SO_BINDTODEVICE and source routing are refused. The same attempts with
#    --allow loopback are the control: the plain ones are delivered.
#  - fail closed: after a SIGKILL of tungate-run, the same attempts and
#    connections opened before the kill deliver nothing.
#  - performance smoke: 50 MiB each way through the gateway, sha256 checked
#    (IPv4 and IPv6); --mtu 1280 does not shrink loopback packets.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up      # LAB's loopback servers: the "host" scope, for contrast
export TG_TIMEOUT=30
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

cp "$TG_E2E_DIR/loopcheck.py" "$TG_TMP/loopcheck.py"
chmod 644 "$TG_TMP/loopcheck.py"
LC=("$PY" "$TG_TMP/loopcheck.py")
MiB=$((1 << 20))

# wire_dst DST PORT: the destination as tungate prints it ("127.0.0.1:7001",
# "[::1]:7003"); a v4-mapped address is IPv4 on the wire.
wire_dst() {
	case $1 in
	::ffff:*.*) printf '%s:%s\n' "${1#::ffff:}" "$2" ;;
	*:*) printf '[%s]:%s\n' "$1" "$2" ;;
	*) printf '%s:%s\n' "$1" "$2" ;;
	esac
}

# denied_line PROTO DST FILE: the reason in FILE's "tungate: denied PROTO
# SRC -> DST (REASON)" line; fails if there is none.
denied_line() {
	awk -v p="$1" -v d="$2" '
		$1 == "tungate:" && $2 == "denied" && $3 == p && $5 == "->" && $6 == d {
			sub(/^[^(]*\(/, ""); sub(/\)$/, ""); print; found = 1; exit
		}
		END { exit !found }' "$3"
}

# lcase NAME TUNGATE-OPTIONS... ++ CASE=WANT...
# One sandbox runs "loopcheck.py rt" over every CASE (PROTO,BIND,DST,PORT
# [,SIZE]: a server of the program's own on BIND, "-" for none, and a round
# trip to DST). One check per CASE:
#   OK@PEER     echoed; the server saw the client as PEER, got exactly one
#               connection or datagram; no "denied" line names DST
#   OK          (no server of ours) echoed
#   DENY        ECONNREFUSED (TCP), EHOSTUNREACH (UDP, IPv4), EACCES (UDP,
#               IPv6) in < 1 s; the server got nothing (no connection, no
#               SYN_RECV, no datagram)
#   DENY@WHY    and a "denied" line names DST with reason WHY (at most 10
#               per run: the lines are rate-limited)
lcase() {
	local name=$1 opts=() cases=() wants=() p i c want proto dst port line res el
	local peer served syn why denied want_res wd
	local out=$TG_TMP/lcase.out err=$TG_TMP/lcase.err
	shift
	while [ $# -gt 0 ] && [ "$1" != ++ ]; do opts+=("$1"); shift; done
	shift
	for p; do cases+=("${p%%=*}"); wants+=("${p#*=}"); done
	tg_run "${opts[@]}" -- "${LC[@]}" rt "${cases[@]}" >"$out" 2>"$err"
	for i in "${!cases[@]}"; do
		c=${cases[$i]} want=${wants[$i]}
		IFS=, read -r proto _ dst port _ <<<"$c"
		wd=$(wire_dst "$dst" "$port")
		line=$(awk -v c="case=$c" '$2 == c' "$out")
		res=$(kv result "$line") || res=NONE
		el=$(kv elapsed "$line") || el=99
		peer=$(kv peer "$line") || peer="?"
		served=$(kv served "$line") || served="?"
		syn=$(kv syn "$line") || syn="?"
		why=$(denied_line "$proto" "$wd" "$err") && denied=1 || denied=0
		case $want in
		OK*)
			if [ "$res" != OK ]; then
				fail "$name: $c allowed" "result=$res; $(tr '\n' ' ' <"$err" | cut -c1-300)"
			elif [ $denied = 1 ]; then
				fail "$name: $c allowed" "but stderr says: denied ($why)"
			elif [ "$want" != OK ] && [ "OK@$peer" != "$want" ]; then
				fail "$name: $c allowed" "the server saw peer $peer, want ${want#OK@}"
			elif [ "$want" != OK ] && [ "$served" != 1 ]; then
				fail "$name: $c allowed" "the server counted $served deliveries, want 1"
			else
				pass "$name: $c allowed (peer $peer, ${el} s)"
			fi
			;;
		DENY*)
			want_res=ECONNREFUSED
			if [ "$proto" = udp ]; then
				case $wd in \[*) want_res=EACCES ;; *) want_res=EHOSTUNREACH ;; esac
			fi
			if [ "$res" != "$want_res" ]; then
				fail "$name: $c denied" "result=$res, want $want_res (served=$served); $(tr '\n' ' ' <"$err" | cut -c1-200)"
			elif ! awk -v e="$el" 'BEGIN { exit !(e + 0 < 1) }'; then
				fail "$name: $c denied" "$res after $el s, want < 1 s"
			elif [ "$served" != 0 ] && [ "$served" != - ]; then
				fail "$name: $c denied" "$res, but the server got $served deliveries (peer $peer)"
			elif [ "$syn" != 0 ] && [ "$syn" != - ]; then
				fail "$name: $c denied" "$res, but the server had $syn SYN_RECV"
			elif [ "$want" != DENY ] && [ $denied = 0 ]; then
				fail "$name: $c denied" "no 'tungate: denied $proto ... -> $wd' line; stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
			elif [ "$want" != DENY ] && [ "DENY@$why" != "$want" ]; then
				fail "$name: $c denied" "reason '($why)', want '(${want#DENY@})'"
			else
				pass "$name: $c denied ($res, ${el} s, nothing served${why:+; $why})"
			fi
			;;
		esac
	done
}

# std WANT [N]: the standard cases, TCP and UDP: a server on each loopback
# and own address, on 0.0.0.0 and on dual-stack [::]. WANT is OK (each with
# the peer its server must see) or DENY[@WHY]; @WHY only on the first N
# cases (default 10: the "denied" lines' burst).
std() {
	local want=$1 n=${2:-10} i=0 proto spec
	for spec in \
		127.0.0.1,127.0.0.1,7001@127.0.0.1 \
		127.0.0.5,127.0.0.5,7002@127.0.0.1 \
		::1,::1,7003@::1 \
		10.12.0.2,10.12.0.2,7004@10.12.0.2 \
		fd12::2,fd12::2,7005@fd12::2 \
		0.0.0.0,10.12.0.2,7006@10.12.0.2 \
		::,fd12::2,7007@fd12::2 \
		::,127.0.0.1,7008@::ffff:127.0.0.1 \
		127.0.0.1,::ffff:127.0.0.1,7009@127.0.0.1 \
		::,::1,7010@::1; do
		for proto in tcp udp; do
			i=$((i + 1))
			case $want in
			OK) printf '%s\n' "$proto,${spec%@*}=OK@${spec#*@}" ;;
			DENY@*) if [ $i -le "$n" ]; then
					printf '%s\n' "$proto,${spec%@*}=$want"
				else
					printf '%s\n' "$proto,${spec%@*}=DENY"
				fi ;;
			*) printf '%s\n' "$proto,${spec%@*}=$want" ;;
			esac
		done
	done
}

T=tcp U=udp
echo "  -- allowed: --allow loopback, --default allow"
mapfile -t S < <(std OK)
lcase "--allow loopback" --allow loopback ++ "${S[@]}" \
	"$T,-,$GW4,$LOOP_ECHO_PORT=DENY@default deny" "$U,-,$GW6,$LOOP_UDP_PORT=DENY@default deny" \
	"$T,-,$FAR4,$ECHO_PORT=DENY@default deny"
lcase "--default allow" --default allow ++ "${S[@]}"
# The largest datagrams lo carries (lo's MTU is 65536): IPv4 65507 bytes,
# IPv6 65488; and TCP segments of that size (a 300 kB echo). tun0's MTU
# (--mtu 1280) does not apply to loopback packets.
lcase "--allow loopback, largest packets" --allow loopback ++ \
	"$U,127.0.0.1,127.0.0.1,7011,65507=OK@127.0.0.1" "$U,10.12.0.2,10.12.0.2,7012,65507=OK@10.12.0.2" \
	"$U,::1,::1,7013,65487=OK@::1" "$U,::1,::1,7014,65488=OK@::1" \
	"$U,fd12::2,fd12::2,7015,65488=OK@fd12::2" \
	"$T,127.0.0.1,127.0.0.1,7016,300000=OK@127.0.0.1" "$T,::1,::1,7017,300000=OK@::1"
lcase "--allow loopback --mtu 1280, largest packets" --allow loopback --mtu 1280 ++ \
	"$U,127.0.0.1,127.0.0.1,7011,65507=OK@127.0.0.1" "$U,::1,::1,7013,65487=OK@::1" \
	"$T,127.0.0.1,127.0.0.1,7016,300000=OK@127.0.0.1"

echo "  -- denied: default deny, rules"
mapfile -t S < <(std "DENY@default deny")
lcase "no rules" ++ "${S[@]}"
lcase "--deny 127.0.0.1:7001 --allow loopback" --deny 127.0.0.1:7001 --allow loopback ++ \
	"$T,127.0.0.1,127.0.0.1,7001=DENY@rule 1: deny 127.0.0.1:7001" \
	"$U,127.0.0.1,127.0.0.1,7001=DENY@rule 1: deny 127.0.0.1:7001" \
	"$T,-,::ffff:127.0.0.1,7001=DENY" "$T,-,0.0.0.0,7001=DENY" "$U,-,0.0.0.0,7001=DENY" \
	"$T,127.0.0.1,127.0.0.1,7002=OK@127.0.0.1" "$T,127.0.0.5,127.0.0.5,7001=OK@127.0.0.1" \
	"$U,127.0.0.5,127.0.0.5,7001=OK@127.0.0.1" "$T,::1,::1,7001=OK@::1" \
	"$U,::1,::1,7001=OK@::1" "$T,10.12.0.2,10.12.0.2,7001=OK@10.12.0.2"
# The exact line, source included (the client's own loopback address).
check "the denied line: 'tungate: denied tcp 127.0.0.1:N -> 127.0.0.1:7001 (rule 1: deny 127.0.0.1:7001)'" \
	grep -Eq '^tungate: denied tcp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:7001 \(rule 1: deny 127\.0\.0\.1:7001\)$' \
	"$TG_TMP/lcase.err"
check "the denied line: 'tungate: denied udp 127.0.0.1:N -> 127.0.0.1:7001 (rule 1: deny 127.0.0.1:7001)'" \
	grep -Eq '^tungate: denied udp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:7001 \(rule 1: deny 127\.0\.0\.1:7001\)$' \
	"$TG_TMP/lcase.err"
lcase "--allow 127.0.0.1:7001 --allow [::1]:7003 --allow udp:10.12.0.2" \
	--allow 127.0.0.1:7001 --allow "[::1]:7003" --allow udp:10.12.0.2 ++ \
	"$T,127.0.0.1,127.0.0.1,7001=OK@127.0.0.1" "$U,127.0.0.1,127.0.0.1,7001=OK@127.0.0.1" \
	"$T,::1,::1,7003=OK@::1" "$U,::1,::1,7003=OK@::1" \
	"$U,10.12.0.2,10.12.0.2,7004=OK@10.12.0.2" "$U,0.0.0.0,10.12.0.2,7006=OK@10.12.0.2" \
	"$T,127.0.0.1,127.0.0.1,7002=DENY@default deny" "$T,127.0.0.5,127.0.0.5,7001=DENY@default deny" \
	"$T,::1,::1,7001=DENY@default deny" "$T,10.12.0.2,10.12.0.2,7004=DENY@default deny" \
	"$T,0.0.0.0,10.12.0.2,7006=DENY@default deny" "$U,fd12::2,fd12::2,7005=DENY@default deny"
lcase "--allow 127.0.0.0/8" --allow 127.0.0.0/8 ++ \
	"$T,127.0.0.1,127.0.0.1,7001=OK@127.0.0.1" "$U,127.0.0.5,127.0.0.5,7002=OK@127.0.0.1" \
	"$T,-,$GW4,$LOOP_ECHO_PORT=DENY@default deny" \
	"$T,::1,::1,7003=DENY@default deny" "$T,10.12.0.2,10.12.0.2,7004=DENY@default deny"
mapfile -t S < <(std "DENY@default deny" 8)
lcase "--allow host (not loopback)" --allow host ++ "$T,-,$GW4,$LOOP_ECHO_PORT=OK" \
	"$U,-,$GW6,$LOOP_UDP_PORT=OK" "${S[@]}"
mapfile -t S < <(std "DENY@rule 1: deny loopback" 9)
lcase "--deny loopback --allow *" --deny loopback --allow '*' ++ "$T,-,$GW4,$LOOP_ECHO_PORT=OK" \
	"$T,-,$FAR4,$ECHO_PORT=OK" "${S[@]}"

# --audit: nothing refused, the would-be denials reported.
lcase "--audit (no rules)" --audit ++ "$T,::1,::1,7003=OK@::1" "$U,127.0.0.5,127.0.0.5,7002=OK@127.0.0.1"
check "--audit: 'tungate: would deny tcp [::1]:N -> [::1]:7003 (default deny)'" \
	grep -Eq '^tungate: would deny tcp \[::1\]:[0-9]+ -> \[::1\]:7003 \(default deny\)$' "$TG_TMP/lcase.err"
check "--audit: 'tungate: would deny udp 127.0.0.1:N -> 127.0.0.5:7002 (default deny)'" \
	grep -Eq '^tungate: would deny udp 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.5:7002 \(default deny\)$' "$TG_TMP/lcase.err"

echo "  -- the --log record of loopback flows"
L=$TG_TMP/loop.jsonl
rm -f "$L"
big=$((5 * MiB))
tg_run --deny tcp:127.0.0.1:7031 --allow loopback --log "$L" -- sh -c '
	"$@" transfer 127.0.0.1 127.0.0.1 7030 --up '$big' --down '$big' --timeout 5
	"$@" transfer ::1 ::1 7032 --up '$big' --down '$big' --timeout 5
	"$@" rt udp,127.0.0.1,127.0.0.1,7033,1000 udp,::1,::1,7034,700 tcp,127.0.0.1,127.0.0.1,7031 --grace 0
	sleep 2.5' sh "${LC[@]}" >"$TG_TMP/log.out" 2>"$TG_TMP/log.err"
# shellcheck disable=SC2317  # called through check
logq() { "$PY" "$TG_E2E_DIR/logq.py" "$@"; }
for v in 4:7030:127.0.0.1 6:7032:::1; do
	fam=${v%%:*} port=${v#*:} port=${port%%:*} addr=${v#*:*:}
	line=$(grep "^result=[^ ]* port=$port " "$TG_TMP/log.out")
	check "log: v$fam 5 MiB each way through the gateway ($(printf '%s' "$line" | cut -d' ' -f1,8-))" \
		test "$(kv result "$line")" = OK
	sport=$(kv sport "$line") || sport=0
	wd=$(wire_dst "$addr" "$port") ws=$(wire_dst "$addr" "$sport")
	check "log: v$fam TCP record: scope loopback, allow loopback, end closed" logq "$L" proto=tcp "dst=$wd" -- \
		keys ts "src=$ws" host=null scope=loopback verdict=allow "rule=allow loopback" end=closed
	check "log: v$fam TCP record: bytes_out = $big, bytes_in = $big exactly" logq "$L" proto=tcp "dst=$wd" -- \
		"bytes_out=$big" "bytes_in=$big"
done
for v in 1000:127.0.0.1:7033 700:::1:7034; do
	size=${v%%:*} addr=${v#*:} port=${addr##*:} addr=${addr%:*}
	line=$(grep "^result=[^ ]* case=udp,$addr,$addr,$port," "$TG_TMP/log.out")
	local_=$(kv local "$line") || local_="?:0"
	check "log: UDP record ($addr, $size B each way)" logq "$L" proto=udp "dst=$(wire_dst "$addr" "$port")" -- \
		keys ts "src=$(wire_dst "${local_%:*}" "${local_##*:}")" host=null scope=loopback verdict=allow \
		"rule=allow loopback" "bytes_out=$size" "bytes_in=$size"
done
check "log: denied loopback TCP record" logq "$L" proto=tcp dst=127.0.0.1:7031 -- \
	keys ts scope=loopback verdict=deny "rule=deny tcp:127.0.0.1:7031" bytes_out=0 bytes_in=0
check "log: the denied connect was ECONNREFUSED" grep -q '^result=ECONNREFUSED case=tcp,127.0.0.1,127.0.0.1,7031 ' "$TG_TMP/log.out"
check "log: one record per flow (5)" logq "$L" count 5

# bypass_groups FILE WHAT: one check per group= line of loopcheck bypass:
# nothing delivered; then the totals (no connection, datagram or SYN_RECV).
bypass_groups() {
	local f=$1 what=$2 g line n d cl
	while read -r line; do
		g=$(kv group "$line") n=$(kv attempts "$line") d=$(kv delivered "$line")
		cl=$(kv clients "$line")
		if [ "$d" = 0 ]; then
			pass "$what: nothing delivered to $g ($n attempts; the clients saw $cl)"
		else
			fail "$what: nothing delivered to $g" "$d of $n delivered: $(awk -v g="$g" -F'|' \
				'$2 == g && / delivered=1$/ { sub(/^attempt=/, ""); print $1 "|" $3 }' "$f" |
				cut -d' ' -f1 | tr '\n' ' ' | cut -c1-300)"
		fi
	done < <(grep '^group=' "$f")
	line=$(grep '^total ' "$f")
	check "$what: the servers got no connection, SYN or datagram ($line)" \
		test -n "$line" -a "$(kv delivered "$line")" = 0 -a "$(kv conns "$line")" = 0 \
		-a "$(kv dgrams "$line")" = 0 -a "$(kv syn "$line")" = 0
}

echo "  -- no way around the gateway (nothing allowed)"
B=$TG_TMP/bypass.deny
tg_run -q -- "${LC[@]}" bypass --priv >"$B" 2>"$TG_TMP/bypass.err"
line=$(grep '^uid=' "$B")
check "bypass: the program has no capabilities ($line)" \
	test "$(kv capeff "$line")" = 0000000000000000 -a "$(kv nonewprivs "$line")" = 1
n=0
while read -r line; do
	n=$((n + 1))
	r=$(kv result "$line")
	case $r in
	EPERM|EACCES) pass "bypass: ${line%% *} refused ($r)" ;;
	*) fail "bypass: ${line%% *} refused" "result=$r, want EPERM or EACCES" ;;
	esac
done < <(grep '^priv=' "$B")
check "bypass: 14 privileged operations tried ($n)" test "$n" = 14
bypass_groups "$B" "bypass, default deny"

echo "  -- the same attempts with --allow loopback (the control: they can be seen)"
B=$TG_TMP/bypass.allow
tg_run -q --allow loopback -- "${LC[@]}" bypass >"$B" 2>"$TG_TMP/bypass.err"
for g in 127.0.0.1 127.0.0.5 ::1 ::ffff:127.0.0.1 10.12.0.2 fd12::2 0.0.0.0 ::; do
	for proto in tcp udp-conn udp-sendto; do
		line=$(grep "^attempt=plain|$g|$proto " "$B")
		check "control: plain $proto to $g is delivered with --allow loopback ($(kv client "$line"))" \
			test "$(kv delivered "$line")" = 1
	done
done
for m in bind-lo unicast-if-lo bind-src-lo dontroute; do
	line=$(grep "^attempt=$m|::1|udp-sendto " "$B")
	check "control: $m udp-sendto to ::1 is delivered with --allow loopback ($(kv client "$line"))" \
		test "$(kv delivered "$line")" = 1
done
line=$(grep '^total ' "$B")
echo "  info  with --allow loopback: $line"

echo "  -- fail closed: the gateway is killed"
d=$TG_TMP/fc
mkdir -p "$d" && chmod 777 "$d"
tg_run_bg "$d/tg.pid" --allow loopback -- "${LC[@]}" bypass --failclosed "$d" >"$d/out" 2>"$d/err"
if ! wait_for 20 test -e "$d/ready"; then
	fail "fail closed: the program became ready" "no ready file after 20 s: $(tr '\n' ' ' <"$d/err" | cut -c1-300)"
	tg_finish
fi
prog=$(cat "$d/prog.pid")
tg_track "$prog"
tgpid=$(cat "$d/tg.pid")
for b in tcp\|127.0.0.1 udp\|127.0.0.1 tcp\|::1 udp\|::1 estab\|127.0.0.1 estab\|::1; do
	line=$(grep "^before=$b " "$d/out")
	check "fail closed: before the kill, $b works (${line:-nothing})" test "$(kv result "$line")" = OK
done
# (stderr off meanwhile: bash would report timeout(1)'s death, "Killed".)
{
	kill -KILL "$tgpid"
	wait_pid_gone 5 "$tgpid" && gone=1 || gone=0
	[ "$gone" = 0 ] || wait "$TG_BG"
} 2>/dev/null
check "fail closed: tungate-run ($tgpid) died of SIGKILL" test "$gone" = 1
sleep 0.2
check "fail closed: the program ($prog) lives on" kill -0 "$prog"
touch "$d/go"
if ! wait_for 20 test -e "$d/done"; then
	fail "fail closed: the program finished its attempts" "no done file after 20 s"
	tg_finish
fi
line=$(grep '^ifaces=' "$d/out")
# tun0_gone LINE: the "ifaces=... tun0=IFINDEX" line lists lo and no tun0.
# shellcheck disable=SC2317  # called through check
tun0_gone() {
	[ "$(kv tun0 "$1")" = 0 ] || return 1
	case ",$(kv ifaces "$1")," in *,tun0,*) return 1 ;; *,lo,*) return 0 ;; esac
	return 1
}
check "fail closed: tun0 is gone ($line)" tun0_gone "$line"
for a in 127.0.0.1 ::1; do
	line=$(grep "^estab=$a " "$d/out")
	check "fail closed: on a $a connection opened before the kill, nothing more arrives ($line)" \
		test -n "$line" -a "$(kv delivered "$line")" = 0
done
bypass_groups "$d/out" "fail closed"

echo "  -- performance smoke: 50 MiB each way through the gateway"
big=$((50 * MiB))
tg_run --allow loopback -- sh -c '
	"$@" transfer 127.0.0.1 127.0.0.1 7040 --up '$big' --down '$big' --timeout 5
	"$@" transfer ::1 ::1 7041 --up '$big' --down '$big' --timeout 5' sh "${LC[@]}" \
	>"$TG_TMP/perf.out" 2>"$TG_TMP/perf.err"
n=0
for a in 127.0.0.1 ::1; do
	n=$((n + 1))
	line=$(grep "^result=[^ ]* port=704$((n - 1)) " "$TG_TMP/perf.out")
	check "50 MiB up and 50 MiB down over $a, sha256 both ways ($(printf '%s' "$line" | cut -d' ' -f1,8-))" \
		test "$(kv result "$line")" = OK
done
line=$(n_lab "${LC[@]}" transfer 127.0.0.1 127.0.0.1 7040 --up $big --down $big --timeout 5 2>&1)
echo "  info  the same over LAB's own loopback, no tungate: $(printf '%s' "$line" | cut -d' ' -f1,9-)"

tg_finish
