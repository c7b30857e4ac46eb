#!/bin/bash
# test_policy.sh - the policy decides, in the lab, as root and as nobody:
# every rule form (IPv4 address and CIDR, [IPv6] and [IPv6/len], *, tcp:/udp:,
# a port, a port range at its edges, *:PORT, host), first match wins,
# --default, a --policy file mixed with command-line rules; a denied TCP
# connect is ECONNREFUSED at once and a denied datagram an ICMP error
# (EHOSTUNREACH / EACCES), never a silent wait; the "denied" line on stderr
# (exact text, rule number, "(default deny)", rate limit) and -q; a bad rule
# on the command line or in a file is one error naming where it is (125).
# The log, --audit, --fail-on-deny and --summary: test_policy_log.sh.
#
# Every denial is judged twice: the client's error and the gateway's
# "tungate: denied" line for that very destination. The destinations the
# pcase cases deny have servers listening, so a refusal can only be the
# policy's.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up
export TG_TIMEOUT=30
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

# Ports for the PORTS forms: a range LO-HI with a listener just outside,
# at and just inside each edge, TCP and UDP, on FAR4, FAR6 and NEAR4.
LO=9100 HI=9200
start_server "$TG_INET" ports --bind "$FAR4" --bind "$FAR6" --bind "$NEAR4" \
	--echo $((LO - 1)) --echo $LO --echo $((LO + 1)) \
	--echo $((HI - 1)) --echo $HI --echo $((HI + 1)) \
	--udp-echo $((LO - 1)) --udp-echo $LO --udp-echo $HI --udp-echo $((HI + 1))

# denied_line PROTO DST FILE: the reason in FILE's "tungate: denied PROTO
# SRC -> DST (REASON)" line for DST ("198.51.100.2:7007", "[2001:db8::1]:53");
# fails if there is none.
denied_line() {
	awk -v p="$1" -v d="$2" '
		$1 == "tungate:" && $2 == "denied" && $3 == p && $5 == "->" && $6 == d {
			sub(/^[^(]*\(/, ""); sub(/\)$/, ""); print; found = 1; exit
		}
		END { exit !found }' "$3"
}

# pcase NAME TUNGATE-OPTIONS... ++ PROBE=WANT...
# One sandbox with those options runs labtool's probe over every PROBE
# (tcp:HOST:PORT connects, udp:HOST:PORT is a round trip to a UDP echo
# server; IPv6 HOST in brackets). One check per PROBE:
#   OK          it worked, and no "denied" line names it
#   DENY        the client got ECONNREFUSED (TCP), EHOSTUNREACH (UDP, IPv4)
#               or EACCES (UDP, IPv6) in < 1 s, and a "denied" line names
#               the destination
#   DENY@WHY    and that line's reason is exactly WHY ("rule 2: deny *",
#               "default deny")
pcase() {
	local name=$1 opts=() specs=() wants=() p i spec want proto dst res el why denied
	local out=$TG_TMP/pcase.out err=$TG_TMP/pcase.err
	shift
	while [ $# -gt 0 ] && [ "$1" != ++ ]; do opts+=("$1"); shift; done
	shift
	for p; do specs+=("${p%%=*}"); wants+=("${p#*=}"); done
	tg_run "${opts[@]}" -- "${LT[@]}" probe "${specs[@]}" >"$out" 2>"$err"
	for i in "${!specs[@]}"; do
		spec=${specs[$i]} want=${wants[$i]}
		proto=${spec%%:*} dst=${spec#*:}
		why=$(denied_line "$proto" "$dst" "$err") && denied=1 || denied=0
		p=$(awk -v s="probe=$spec" '$1 ~ /^result=/ && $2 == s' "$out")
		res=$(kv result "$p") || res=NONE
		el=$(kv elapsed "$p") || el=99
		if [ "$want" = OK ]; then
			if [ "$res" = OK ] && [ $denied = 0 ]; then
				pass "$name: $spec allowed"
			else
				fail "$name: $spec allowed" "result=$res${why:+, stderr: denied ($why)}; $(tr '\n' ' ' <"$err" | cut -c1-300)"
			fi
			continue
		fi
		local want_res=ECONNREFUSED
		if [ "$proto" = udp ]; then
			case $dst in \[*) want_res=EACCES ;; *) want_res=EHOSTUNREACH ;; esac
		fi
		if [ $denied = 0 ]; then
			fail "$name: $spec denied" "no 'tungate: denied $proto ... -> $dst' line (result=$res); stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
		elif [ "$res" != "$want_res" ]; then
			fail "$name: $spec denied" "result=$res, want $want_res"
		elif ! awk -v e="$el" 'BEGIN { exit !(e + 0 < 1) }'; then
			fail "$name: $spec denied" "$res after $el s, want < 1 s"
		elif [ "$want" != DENY ] && [ "DENY@$why" != "$want" ]; then
			fail "$name: $spec denied" "reason '($why)', want '(${want#DENY@})'"
		else
			pass "$name: $spec denied ($res, ${el} s; $why)"
		fi
	done
}

T=tcp U=udp
echo "  -- no rules: the default is deny"
pcase "no rules" ++ \
	"$T:$FAR4:$ECHO_PORT=DENY@default deny" "$T:[$FAR6]:$ECHO_PORT=DENY@default deny" \
	"$U:$NEAR4:$UDP_PORT=DENY@default deny" "$U:[$NEAR6]:$UDP_PORT=DENY@default deny" \
	"$T:$GW4:$LOOP_ECHO_PORT=DENY@default deny"
pcase "--default deny" --default deny ++ "$T:$NEAR4:$ECHO_PORT=DENY@default deny"
pcase "--default allow" --default allow ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$U:[$FAR6]:$UDP_PORT=OK" "$T:$GW4:$LOOP_ECHO_PORT=OK"
pcase "--default allow --deny X" --default allow --deny "$NEAR4" ++ \
	"$T:$NEAR4:$ECHO_PORT=DENY@rule 1: deny $NEAR4" "$T:$FAR4:$ECHO_PORT=OK"

echo "  -- IPv4 address and CIDR"
pcase "--allow $FAR4" --allow "$FAR4" ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$U:$FAR4:$UDP_PORT=OK" "$T:$FAR4:$HI=OK" \
	"$T:$NEAR4:$ECHO_PORT=DENY@default deny" "$T:[$FAR6]:$ECHO_PORT=DENY@default deny"
pcase "--allow 203.0.113.8/30" --allow 203.0.113.8/30 ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$U:$FAR4:$UDP_PORT=OK" "$T:$NEAR4:$ECHO_PORT=DENY@default deny"
pcase "--allow 203.0.113.12/30" --allow 203.0.113.12/30 ++ \
	"$T:$FAR4:$ECHO_PORT=DENY@default deny"
pcase "--allow 198.51.100.0/24" --allow 198.51.100.0/24 ++ \
	"$T:$NEAR4:$ECHO_PORT=OK" "$T:$FAR4:$ECHO_PORT=DENY"
pcase "--allow 0.0.0.0/0" --allow 0.0.0.0/0 ++ \
	"$T:$NEAR4:$ECHO_PORT=OK" "$T:$FAR4:$ECHO_PORT=OK" "$T:[$FAR6]:$ECHO_PORT=DENY"

echo "  -- [IPv6] and [IPv6/len]"
pcase "--allow [$FAR6]" --allow "[$FAR6]" ++ \
	"$T:[$FAR6]:$ECHO_PORT=OK" "$U:[$FAR6]:$UDP_PORT=OK" \
	"$T:[$NEAR6]:$ECHO_PORT=DENY@default deny" "$T:$FAR4:$ECHO_PORT=DENY"
pcase "--allow [2001:0db8:0002:0000::0010] (same address, long form)" \
	--allow "[2001:0db8:0002:0000::0010]" ++ "$T:[$FAR6]:$ECHO_PORT=OK"
pcase "--allow [2001:db8:2::/64]" --allow "[2001:db8:2::/64]" ++ \
	"$T:[$FAR6]:$ECHO_PORT=OK" "$T:[$NEAR6]:$ECHO_PORT=DENY@default deny"
pcase "--allow [2001:db8::/32]" --allow "[2001:db8::/32]" ++ \
	"$T:[$FAR6]:$ECHO_PORT=OK" "$U:[$NEAR6]:$UDP_PORT=OK" "$T:$FAR4:$ECHO_PORT=DENY"
# ::10 is 0x10: inside ::10/124 (0x10-0x1f), just outside ::/124 (0x0-0xf).
pcase "--allow [2001:db8:2::10/124]" --allow "[2001:db8:2::10/124]" ++ "$T:[$FAR6]:$ECHO_PORT=OK"
pcase "--allow [2001:db8:2::/124]" --allow "[2001:db8:2::/124]" ++ "$T:[$FAR6]:$ECHO_PORT=DENY"

echo "  -- * and tcp:/udp:"
pcase "--allow *" --allow '*' ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$T:[$NEAR6]:$ECHO_PORT=OK" "$U:$NEAR4:$UDP_PORT=OK" \
	"$U:[$FAR6]:$UDP_PORT=OK" "$T:$GW4:$LOOP_ECHO_PORT=OK"
pcase "--allow tcp:$FAR4" --allow "tcp:$FAR4" ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$U:$FAR4:$UDP_PORT=DENY@default deny"
pcase "--allow udp:$FAR4" --allow "udp:$FAR4" ++ \
	"$U:$FAR4:$UDP_PORT=OK" "$T:$FAR4:$ECHO_PORT=DENY@default deny"
pcase "--allow udp:[$FAR6]:$UDP_PORT" --allow "udp:[$FAR6]:$UDP_PORT" ++ \
	"$U:[$FAR6]:$UDP_PORT=OK" "$T:[$FAR6]:$ECHO_PORT=DENY" "$U:[$FAR6]:$HI=DENY"
pcase "--allow tcp:* (no UDP)" --allow 'tcp:*' ++ \
	"$T:$NEAR4:$ECHO_PORT=OK" "$T:[$FAR6]:$ECHO_PORT=OK" \
	"$U:$NEAR4:$UDP_PORT=DENY@default deny" "$U:[$FAR6]:$UDP_PORT=DENY@default deny"

echo "  -- ports: N, N-M (edges), *:N"
pcase "--allow $FAR4:$LO" --allow "$FAR4:$LO" ++ \
	"$T:$FAR4:$LO=OK" "$U:$FAR4:$LO=OK" "$T:$FAR4:$((LO - 1))=DENY" \
	"$T:$FAR4:$((LO + 1))=DENY" "$T:$NEAR4:$LO=DENY" "$T:[$FAR6]:$LO=DENY"
pcase "--allow [$FAR6]:$LO" --allow "[$FAR6]:$LO" ++ \
	"$T:[$FAR6]:$LO=OK" "$T:[$FAR6]:$((LO + 1))=DENY"
pcase "--allow $FAR4:$LO-$HI" --allow "$FAR4:$LO-$HI" ++ \
	"$T:$FAR4:$LO=OK" "$T:$FAR4:$((LO + 1))=OK" "$T:$FAR4:$((HI - 1))=OK" "$T:$FAR4:$HI=OK" \
	"$U:$FAR4:$LO=OK" "$U:$FAR4:$HI=OK" \
	"$T:$FAR4:$((LO - 1))=DENY" "$T:$FAR4:$((HI + 1))=DENY" \
	"$U:$FAR4:$((LO - 1))=DENY" "$U:$FAR4:$((HI + 1))=DENY"
pcase "--allow tcp:[$FAR6]:$LO-$HI" --allow "tcp:[$FAR6]:$LO-$HI" ++ \
	"$T:[$FAR6]:$LO=OK" "$T:[$FAR6]:$HI=OK" "$T:[$FAR6]:$((HI + 1))=DENY" "$U:[$FAR6]:$HI=DENY"
pcase "--allow *:$LO" --allow "*:$LO" ++ \
	"$T:$FAR4:$LO=OK" "$T:$NEAR4:$LO=OK" "$T:[$FAR6]:$LO=OK" "$U:$FAR4:$LO=OK" \
	"$T:$FAR4:$((LO + 1))=DENY" "$T:$FAR4:$((LO - 1))=DENY"
pcase "--allow $FAR4:*" --allow "$FAR4:*" ++ \
	"$T:$FAR4:$((LO - 1))=OK" "$T:$FAR4:$HI=OK" "$T:$NEAR4:$HI=DENY"

echo "  -- host: the gateway address is LAB's loopback"
pcase "--allow host" --allow host ++ \
	"$T:$GW4:$LOOP_ECHO_PORT=OK" "$T:[$GW6]:$LOOP_ECHO_PORT=OK" \
	"$U:$GW4:$LOOP_UDP_PORT=OK" "$U:[$GW6]:$LOOP_UDP_PORT=OK" \
	"$T:$FAR4:$ECHO_PORT=DENY@default deny"
pcase "--allow host:$LOOP_ECHO_PORT" --allow "host:$LOOP_ECHO_PORT" ++ \
	"$T:$GW4:$LOOP_ECHO_PORT=OK" "$T:[$GW6]:$LOOP_ECHO_PORT=OK" \
	"$U:$GW4:$LOOP_UDP_PORT=DENY@default deny"
pcase "--allow tcp:host" --allow "tcp:host" ++ \
	"$T:$GW4:$LOOP_ECHO_PORT=OK" "$U:[$GW6]:$LOOP_UDP_PORT=DENY@default deny"
pcase "--allow $FAR4 (not the host)" --allow "$FAR4" ++ \
	"$T:$GW4:$LOOP_ECHO_PORT=DENY@default deny" "$T:[$GW6]:$LOOP_ECHO_PORT=DENY@default deny"
pcase "--deny host --allow *" --deny host --allow '*' ++ \
	"$T:$GW4:$LOOP_ECHO_PORT=DENY@rule 1: deny host" "$U:[$GW6]:$LOOP_UDP_PORT=DENY@rule 1: deny host" \
	"$T:$FAR4:$ECHO_PORT=OK"

echo "  -- first match wins"
pcase "--deny $FAR4 --allow *" --deny "$FAR4" --allow '*' ++ \
	"$T:$FAR4:$ECHO_PORT=DENY@rule 1: deny $FAR4" "$U:$FAR4:$UDP_PORT=DENY@rule 1: deny $FAR4" \
	"$T:$NEAR4:$ECHO_PORT=OK"
pcase "--allow * --deny $FAR4" --allow '*' --deny "$FAR4" ++ \
	"$T:$FAR4:$ECHO_PORT=OK" "$U:$FAR4:$UDP_PORT=OK"
pcase "--deny tcp:$FAR4:$SUM_PORT --allow $FAR4" --deny "tcp:$FAR4:$SUM_PORT" --allow "$FAR4" ++ \
	"$T:$FAR4:$SUM_PORT=DENY@rule 1: deny tcp:$FAR4:$SUM_PORT" "$T:$FAR4:$ECHO_PORT=OK"
pcase "--allow [$FAR6]:$LO --deny [2001:db8::/32] --allow *" \
	--allow "[$FAR6]:$LO" --deny "[2001:db8::/32]" --allow '*' ++ \
	"$T:[$FAR6]:$LO=OK" "$T:[$FAR6]:$HI=DENY@rule 2: deny [2001:db8::/32]" \
	"$T:$FAR4:$HI=OK"

echo "  -- --policy FILE: its rules stand where the option does"
cat >"$TG_TMP/lab.policy" <<EOF
# the lab's policy (a comment line)

	# an indented comment; the line above is blank, the next has blanks only
   
deny tcp:198.51.100.0/24       # the near network over TCP, after rule 1
allow $FAR4:$ECHO_PORT-$SUM_PORT
allow [$FAR6]
default allow
EOF
chmod 644 "$TG_TMP/lab.policy"
# rules: 1 --allow, 2-4 the file, 5 --deny *; the file's default is not
# reached (rule 5 matches everything).
pcase "--allow tcp:$NEAR4:$ECHO_PORT --policy FILE --deny *" \
	--allow "tcp:$NEAR4:$ECHO_PORT" --policy lab.policy --deny '*' ++ \
	"$T:$NEAR4:$ECHO_PORT=OK" \
	"$T:$NEAR4:$SUM_PORT=DENY@rule 2: deny tcp:198.51.100.0/24" \
	"$T:$FAR4:$ECHO_PORT=OK" "$T:$FAR4:$SUM_PORT=OK" "$T:[$FAR6]:$HI=OK" \
	"$U:$NEAR4:$UDP_PORT=DENY@rule 5: deny *" "$T:$FAR4:$HI=DENY@rule 5: deny *"
# alone, its "default allow" line applies
pcase "--policy FILE (default allow in the file)" --policy "$TG_TMP/lab.policy" ++ \
	"$T:$NEAR4:$ECHO_PORT=DENY@rule 1: deny tcp:198.51.100.0/24" \
	"$U:$NEAR4:$UDP_PORT=OK" "$T:$FAR4:$HI=OK" "$T:$GW4:$LOOP_ECHO_PORT=OK"
printf '%s\n' "# no default line: deny" "allow udp:*:$UDP_PORT" >"$TG_TMP/udp.policy"
chmod 644 "$TG_TMP/udp.policy"
pcase "--deny X --policy FILE (no default line) --allow Y" \
	--deny "udp:$NEAR4" --policy udp.policy --allow "tcp:$FAR4" ++ \
	"$U:$NEAR4:$UDP_PORT=DENY@rule 1: deny udp:$NEAR4" "$U:[$NEAR6]:$UDP_PORT=OK" \
	"$T:$FAR4:$ECHO_PORT=OK" "$T:$NEAR4:$ECHO_PORT=DENY@default deny" \
	"$U:$FAR4:$HI=DENY@default deny"

# Written elsewhere: CRLF line ends, tabs, keywords in capitals, a comment
# right after a rule, no newline at the end.
printf '# from another editor\r\nDENY\tudp:*\t# no UDP\r\n\r\nAllow\t%s:%s# echo only\r\nallow [%s]' \
	"$FAR4" $ECHO_PORT "$FAR6" >"$TG_TMP/crlf.policy"
chmod 644 "$TG_TMP/crlf.policy"
pcase "--policy FILE (CRLF, tabs, capitals, no final newline)" --policy crlf.policy ++ \
	"$U:$FAR4:$UDP_PORT=DENY@rule 1: deny udp:*" "$T:$FAR4:$ECHO_PORT=OK" \
	"$T:$FAR4:$SUM_PORT=DENY@default deny" "$T:[$FAR6]:$HI=OK"

echo "  -- first match among many rules: random policies against a reference"
# policy_ref.py draws 24 rules (addresses, prefixes, *, host, loopback, with
# and without tcp:/udp: and ports; some in a --policy file), a default and
# 28 flows, and predicts each flow's verdict and rule; the --log says what
# tungate-run decided. A seed reproduces a round.
for seed in 1 2 3 4 5 6; do
	d=$TG_TMP/rand$seed
	mkdir -p "$d" && chmod 777 "$d"
	"$PY" "$TG_E2E_DIR/policy_ref.py" gen $seed "$d"
	mapfile -t opts <"$d/opts"
	mapfile -t specs <"$d/specs"
	tg_run -q --log "$d/log" "${opts[@]}" -- "${LT[@]}" probe --timeout 0.3 "${specs[@]}" \
		>"$d/out" 2>&1
	if out=$("$PY" "$TG_E2E_DIR/policy_ref.py" check $seed "$d" "$d/log" 2>&1); then
		pass "random policy, $out: every verdict and rule as first match predicts"
	else
		fail "random policy (policy_ref.py gen $seed DIR)" "$(printf '%s' "$out" | tail -n 3 | cut -c1-600)"
	fi
done
# Thousands of rules: the match is the last one.
for i in $(seq 1 3000); do echo "deny tcp:[2001:db8:9::$(printf %x "$i")]:$((i % 60000 + 1))"; done \
	>"$TG_TMP/many.policy"
chmod 644 "$TG_TMP/many.policy"
pcase "3000 rules in a file, then --allow $FAR4:$LO" --policy many.policy --allow "$FAR4:$LO" ++ \
	"$T:$FAR4:$LO=OK" "$T:$FAR4:$HI=DENY@default deny"

echo "  -- what a denied client sees, and how fast"
for fam in 4 6; do
	set_fam $fam
	want=EHOSTUNREACH r_near=$near r_far=$far
	[ $fam = 4 ] || want=EACCES r_near=[$near] r_far=[$far]
	lt_expect "v$fam denied TCP connect to $far -> ECONNREFUSED in < 1 s" ECONNREFUSED 1 \
		tg_run -q --allow "$r_near" -- "${LT[@]}" connect "$far" $ECHO_PORT --timeout 5
	lt_expect "v$fam denied UDP to $far -> $want in < 1 s (connected socket)" $want 1 \
		tg_run -q --allow "tcp:$r_far" -- "${LT[@]}" udp "$far" $UDP_PORT --timeout 3
	lt_expect "v$fam denied UDP to $far -> $want in < 1 s (IP_RECVERR)" $want 1 \
		tg_run -q --allow "tcp:$r_far" -- "${LT[@]}" udp "$far" $UDP_PORT --recverr --timeout 3
done

echo "  -- the denied line on stderr, -q"
# Known source ports make the whole line known.
tg_run --deny "$FAR4" --allow '*' -- "${LT[@]}" connect "$FAR4" $ECHO_PORT --sport 40001 \
	>"$TG_TMP/out" 2>"$TG_TMP/err"
want="tungate: denied tcp $SBX4:40001 -> $FAR4:$ECHO_PORT (rule 1: deny $FAR4)"
check "denied line, exactly: $want" diff <(echo "$want") "$TG_TMP/err"
tg_run -- "${LT[@]}" connect "$FAR6" $ECHO_PORT --sport 40002 >"$TG_TMP/out" 2>"$TG_TMP/err"
want="tungate: denied tcp [$SBX6]:40002 -> [$FAR6]:$ECHO_PORT (default deny)"
check "denied line, exactly: $want" diff <(echo "$want") "$TG_TMP/err"
tg_run --allow 'tcp:*' --deny "udp:198.51.100.0/24:7000-7999" -- \
	"${LT[@]}" udp "$NEAR4" $UDP_PORT --sport 40003 >"$TG_TMP/out" 2>"$TG_TMP/err"
want="tungate: denied udp $SBX4:40003 -> $NEAR4:$UDP_PORT (rule 2: deny udp:198.51.100.0/24:7000-7999)"
check "denied line, exactly: $want" diff <(echo "$want") "$TG_TMP/err"
tg_run --allow "$NEAR4" --policy udp.policy -- "${LT[@]}" udp "$FAR6" $HI --sport 40004 \
	>"$TG_TMP/out" 2>"$TG_TMP/err"
want="tungate: denied udp [$SBX6]:40004 -> [$FAR6]:$HI (default deny)"
check "denied line, exactly: $want" diff <(echo "$want") "$TG_TMP/err"

tg_run -q -- "${LT[@]}" probe "$T:$FAR4:$ECHO_PORT" "$U:[$FAR6]:$UDP_PORT" \
	>"$TG_TMP/out" 2>"$TG_TMP/err"
check "-q: both flows still denied ($(grep -c '^result=E' "$TG_TMP/out")/2 errors)" \
	test "$(grep -c -e '^result=ECONNREFUSED ' -e '^result=EACCES ' "$TG_TMP/out")" -eq 2
check "-q: nothing on stderr ($(wc -c <"$TG_TMP/err") bytes)" test ! -s "$TG_TMP/err"

# 30 denied connections in a burst: the lines are rate-limited, and the
# ones not shown are counted, so shown + "N more denials not shown" = 30.
specs=()
for i in $(seq 0 29); do specs+=("$T:$FAR4:$((9300 + i))"); done
tg_run --allow "$NEAR4" -- "${LT[@]}" probe "${specs[@]}" >"$TG_TMP/out" 2>"$TG_TMP/err"
n_res=$(grep -c '^result=ECONNREFUSED ' "$TG_TMP/out")
n_shown=$(grep -c "^tungate: denied tcp $SBX4:[0-9]* -> $FAR4:93[0-2][0-9] (default deny)\$" "$TG_TMP/err")
n_more=$(sed -n 's/^tungate: \([0-9]*\) more denials* not shown$/\1/p' "$TG_TMP/err" | awk '{ s += $1 } END { print s + 0 }')
n_lines=$(wc -l <"$TG_TMP/err")
check "30 denials at once: all refused ($n_res), $n_shown shown + $n_more counted = 30, in $n_lines lines" \
	test "$n_res" -eq 30 -a $((n_shown + n_more)) -eq 30 -a "$n_shown" -lt 30 -a "$n_shown" -ge 1

echo "  -- bad rules: exit 125, one error quoting the text and naming where"
# bad_rule DESC WANT-PREFIX OPTIONS...: status 125, the command is not run,
# and stderr is one line starting with WANT-PREFIX (plus at most the usual
# "Try 'tungate-run --help'" hint).
bad_rule() {
	local desc=$1 want=$2 rc errs hint
	shift 2
	rm -f "$TG_TMP/ran"
	tg_run "$@" -- touch "$TG_TMP/ran" >"$TG_TMP/out" 2>"$TG_TMP/err" && rc=0 || rc=$?
	errs=$(grep -vc "^Try 'tungate-run --help'" "$TG_TMP/err")
	hint=$(grep -c "^Try 'tungate-run --help'" "$TG_TMP/err")
	if [ "$rc" -eq 125 ] && [ ! -e "$TG_TMP/ran" ] && [ "$errs" -eq 1 ] && [ "$hint" -le 1 ] &&
	   [ "$(grep -v "^Try 'tungate-run --help'" "$TG_TMP/err" | cut -c1-${#want})" = "$want" ]; then
		pass "$desc: $(grep -v "^Try" "$TG_TMP/err")"
	else
		fail "$desc" "status $rc, ran: $([ -e "$TG_TMP/ran" ] && echo yes || echo no), stderr: $(tr '\n' '|' <"$TG_TMP/err")"
	fi
}
for r in '203.0.113.0/33' '[2001:db8::/129]' 'tcp:203.0.113.10:70000' "udp:*:$HI-$LO" \
	'sctp:198.51.100.2' '' "$FAR4:" '203.0.113.10/8' '[2001:db8::1' '2001:db8::1' \
	'300.1.1.1' "tcp:$FAR4:https"; do
	bad_rule "--allow '$r'" "tungate-run: --allow: '$r': " --allow "$r"
done
bad_rule "--deny 'udp:*:1-2-3'" "tungate-run: --deny: 'udp:*:1-2-3': " --allow '*' --deny 'udp:*:1-2-3'
bad_rule "--default maybe" "tungate-run: --default: 'maybe': " --default maybe
bad_rule "--policy with a missing file" "tungate-run: $TG_TMP/no-such.policy: " \
	--policy "$TG_TMP/no-such.policy"

# bad_file DESC LINE-NO 'BAD LINE' 'QUOTED': a policy file with comments, a
# blank line and good rules around the bad line, which is line LINE-NO; the
# error quotes QUOTED (the rule, or the whole line for a bad keyword).
n_file=0
bad_file() {
	local desc=$1 at=$2 bad=$3 quoted=$4 f
	n_file=$((n_file + 1))
	f=$TG_TMP/bad$n_file.policy
	{
		echo "# policy with a mistake on line $at"
		echo "allow $FAR4"
		echo
		[ "$at" -eq 4 ] || echo "default allow"
		echo "$bad"
		echo "allow tcp:*:443"
	} >"$f"
	chmod 644 "$f"
	if [ "$(sed -n "${at}p" "$f")" != "$bad" ]; then
		fail "$desc" "test bug: line $at of $f is not the bad one"
		return
	fi
	bad_rule "policy file, $desc" "tungate-run: $f:$at: '$quoted': " --allow "$NEAR4" --policy "$f"
}
bad_file "prefix too long" 5 "allow tcp:203.0.113.0/33" "tcp:203.0.113.0/33"
bad_file "bad port in a deny, comment after" 5 "deny udp:[$FAR6]:99999   # a comment" \
	"udp:[$FAR6]:99999"
bad_file "unknown keyword" 5 "permit $FAR4" "permit $FAR4"
bad_file "keyword without a rule" 4 "deny" "deny"
bad_file "a second default" 5 "default deny" "default deny"
bad_file "default neither allow nor deny" 4 "default maybe" "default maybe"
# A line too long to read whole is refused, not split: the tail of a long
# comment must not become a rule.
{ printf '#%04094d' 0; echo ' allow *'; } >"$TG_TMP/long.policy"
chmod 644 "$TG_TMP/long.policy"
bad_rule "policy file, a 4103-character comment line ending in 'allow *'" \
	"tungate-run: $TG_TMP/long.policy:1: '#0000" --policy "$TG_TMP/long.policy"

tg_finish
