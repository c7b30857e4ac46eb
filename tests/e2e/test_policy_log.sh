#!/bin/bash
# test_policy_log.sh - what tungate-run reports about flows, in the lab, as
# root and as nobody: the --log file (one JSON object per line per flow,
# every field checked for allowed, denied, UDP, IPv6 and host flows; a
# denied flow's record is written at once; bytes_out/bytes_in are exactly
# the payload that crossed, for 50 MiB each way), --audit (nothing refused,
# "would deny" on stderr, would_deny in the log), --fail-on-deny (123, but
# the program's own failure wins) and --summary. The rule forms and the
# "denied" lines: test_policy.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up
export TG_TIMEOUT=60
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

# logq.py FILE count N              FILE holds N lines, each a JSON object
# logq.py FILE SEL... -- WANT...    exactly one record matches every SEL,
#                                   and it satisfies every WANT
# SEL and WANT are KEY=VALUE (string form: null, 12, text), KEY!=VALUE,
# KEY<N, KEY>=N; and the words "keys" (exactly the documented fields) and
# "ts" (RFC 3339 UTC with milliseconds, within 5 minutes of now).
cp "$TG_E2E_DIR/logq.py" "$TG_TMP/logq.py"
chmod 644 "$TG_TMP/logq.py"
logq() { "$PY" "$TG_TMP/logq.py" "$@"; }

MiB=$((1 << 20))
BIG=$((50 * MiB))
L=$TG_TMP/flows.jsonl

# newlog: no log yet; tungate-run creates it (as root or as nobody: TG_TMP
# is writable by all).
newlog() { rm -f "$L"; }

echo "  -- --log: one JSON object per flow, every field"
newlog
tg_run --allow "$FAR4" --log "$L" -- "${LT[@]}" echo "$FAR4" $ECHO_PORT --bytes 1000 --sport 40011 \
	>"$TG_TMP/out" 2>"$TG_TMP/err"
check "allowed TCP flow worked ($(head -c 60 "$TG_TMP/out"))" grep -q '^result=OK ' "$TG_TMP/out"
check "log: one line" logq "$L" count 1
check "log: allowed TCP record: every field" logq "$L" proto=tcp -- keys ts \
	"src=$SBX4:40011" "dst=$FAR4:$ECHO_PORT" host=null scope=external verdict=allow \
	"rule=allow $FAR4" bytes_out=1000 bytes_in=1000 duration_ms\>=0 duration_ms\<10000 end=closed

# A denied flow's record is in the file at once, while the program still
# runs: the program looks for it itself (at most 2 s).
newlog
tg_run --log "$L" -- sh -c '"$0" "$1" connect "$2" '$ECHO_PORT' --sport 40012
	i=0
	while [ $i -lt 40 ] && ! grep -q ":40012\"" "$3" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	echo "polls=$i"' "$PY" "$TG_TMP/labtool.py" "$FAR6" "$L" >"$TG_TMP/out" 2>"$TG_TMP/err"
polls=$(sed -n 's/^polls=//p' "$TG_TMP/out")
check "log: the denied flow's record is there while the program runs (after ${polls:-?} x 50 ms)" \
	test "${polls:-40}" -lt 40
check "log: denied TCP record (IPv6, default)" logq "$L" proto=tcp -- keys ts \
	"src=[$SBX6]:40012" "dst=[$FAR6]:$ECHO_PORT" host=null scope=external verdict=deny \
	rule=default bytes_out=0 bytes_in=0 end!=closed
check "log: the client was refused" grep -q '^result=ECONNREFUSED ' "$TG_TMP/out"

newlog
tg_run --deny "$NEAR4" --allow "udp:$FAR4:$UDP_PORT" --log "$L" -- sh -c '
	"$0" "$1" connect "$2" '$ECHO_PORT' --sport 40013
	"$0" "$1" udp "$3" '$UDP_PORT' --sport 40014 --bytes 300
	"$0" "$1" udp "$4" '$UDP_PORT' --sport 40015
	"$0" "$1" connect '$GW6' '$LOOP_ECHO_PORT' --sport 40024' "$PY" "$TG_TMP/labtool.py" \
	"$NEAR4" "$FAR4" "$NEAR6" >"$TG_TMP/out" 2>"$TG_TMP/err"
line=$(grep "^result=OK " "$TG_TMP/out")
sent=$(kv sent "$line")
check "UDP round trip worked, $sent bytes each way" test -n "$sent"
check "log: four lines" logq "$L" count 4
check "log: denied TCP record names its rule" logq "$L" proto=tcp "src=$SBX4:40013" -- keys ts \
	"src=$SBX4:40013" "dst=$NEAR4:$ECHO_PORT" verdict=deny "rule=deny $NEAR4" \
	scope=external bytes_out=0 bytes_in=0
check "log: allowed UDP record, bytes = the datagram ($sent) each way" \
	logq "$L" proto=udp verdict=allow -- keys ts "src=$SBX4:40014" "dst=$FAR4:$UDP_PORT" \
	host=null scope=external "rule=allow udp:$FAR4:$UDP_PORT" "bytes_out=${sent:-?}" \
	"bytes_in=${sent:-?}" duration_ms\<10000
check "log: denied UDP record (IPv6, default)" logq "$L" proto=udp verdict=deny -- keys ts \
	"src=[$SBX6]:40015" "dst=[$NEAR6]:$UDP_PORT" rule=default scope=external \
	bytes_out=0 bytes_in=0

check "log: denied flow to [$GW6] is scope host" logq "$L" "src=[$SBX6]:40024" -- keys ts \
	proto=tcp "dst=[$GW6]:$LOOP_ECHO_PORT" scope=host verdict=deny rule=default

newlog
tg_run --allow "[$FAR6]" --allow host --default allow --log "$L" -- sh -c '
	"$0" "$1" echo "$2" '$ECHO_PORT' --bytes 2000 --sport 40016
	"$0" "$1" echo '$GW4' '$LOOP_ECHO_PORT' --bytes 10 --sport 40017
	"$0" "$1" echo '$GW6' '$LOOP_ECHO_PORT' --bytes 20 --sport 40018
	"$0" "$1" echo "$3" '$ECHO_PORT' --bytes 30 --sport 40019' "$PY" "$TG_TMP/labtool.py" \
	"$FAR6" "$NEAR4" >"$TG_TMP/out" 2>"$TG_TMP/err"
check "four echo flows worked" test "$(grep -c '^result=OK ' "$TG_TMP/out")" -eq 4
check "log: four lines" logq "$L" count 4
check "log: IPv6 TCP record in brackets" logq "$L" "dst=[$FAR6]:$ECHO_PORT" -- keys ts \
	"src=[$SBX6]:40016" "rule=allow [$FAR6]" verdict=allow scope=external \
	bytes_out=2000 bytes_in=2000 end=closed
check "log: $GW4 is scope host" logq "$L" "dst=$GW4:$LOOP_ECHO_PORT" -- keys \
	"src=$SBX4:40017" scope=host verdict=allow "rule=allow host" bytes_out=10 bytes_in=10
check "log: [$GW6] is scope host" logq "$L" "dst=[$GW6]:$LOOP_ECHO_PORT" -- keys \
	"src=[$SBX6]:40018" scope=host verdict=allow "rule=allow host" bytes_out=20 bytes_in=20
check "log: allowed by --default allow: rule is \"default\"" logq "$L" "dst=$NEAR4:$ECHO_PORT" -- \
	keys "src=$SBX4:40019" scope=external verdict=allow rule=default bytes_out=30 bytes_in=30

# --log - : the records go to stderr, the program's stdout stays its own.
tg_run --allow "$FAR4" --log - -- "${LT[@]}" connect "$FAR4" $ECHO_PORT --sport 40020 \
	>"$TG_TMP/out" 2>"$TG_TMP/err"
check "--log -: the record is on stderr" logq "$TG_TMP/err" proto=tcp -- \
	"src=$SBX4:40020" "dst=$FAR4:$ECHO_PORT" verdict=allow
check "--log -: stdout is only the program's" \
	test "$(wc -l <"$TG_TMP/out")/$(grep -c '^result=OK ' "$TG_TMP/out")" = 1/1

echo "  -- --log: bytes_out / bytes_in are the payload that crossed, 50 MiB"
want=$("${LT[@]}" genhash $BIG)
# Upload: N bytes, then a half-close; the sum server answers its sha256 in
# hex and a newline: 65 bytes.
for fam in 4 6; do
	set_fam $fam
	newlog
	line=$(tg_run --allow "tcp:*:$SUM_PORT" --log "$L" -- \
		"${LT[@]}" halfclose "$far" $SUM_PORT --bytes $BIG --timeout 50 2>&1 | tail -n 1)
	check_sha "v$fam upload 50 MiB to $far through the sum server, sha256 ok" "$want" "$line"
	check "v$fam log: upload bytes_out=$BIG (all sent), bytes_in=65 (the reply)" \
		logq "$L" proto=tcp -- "bytes_out=$BIG" bytes_in=65 verdict=allow end=closed
	# Download: the client sends "N\n" and reads until EOF.
	newlog
	line=$(tg_run --allow "tcp:*:$SOURCE_PORT" --log "$L" -- \
		"${LT[@]}" rawget "$far" $SOURCE_PORT --bytes $BIG --timeout 50 2>&1 | tail -n 1)
	check_sha "v$fam download 50 MiB from $far's source server, sha256 ok" "$want" "$line"
	check "v$fam log: download bytes_in=$BIG (all received), bytes_out=${#BIG}+1 (\"$BIG\\n\")" \
		logq "$L" proto=tcp -- "bytes_in=$BIG" "bytes_out=$(( ${#BIG} + 1 ))" verdict=allow end=closed
done

echo "  -- --audit: nothing refused, what would have been is reported"
newlog
tg_run --audit --deny "$NEAR4" --allow "$FAR4" --log "$L" -- sh -c '
	"$0" "$1" echo "$2" '$ECHO_PORT' --bytes 100 --sport 40021
	"$0" "$1" udp "$3" '$UDP_PORT' --sport 40022
	"$0" "$1" echo "$4" '$ECHO_PORT' --bytes 100 --sport 40023' "$PY" "$TG_TMP/labtool.py" \
	"$NEAR4" "$FAR6" "$FAR4" >"$TG_TMP/out" 2>"$TG_TMP/err"
check "--audit: all three flows worked" test "$(grep -c '^result=OK ' "$TG_TMP/out")" -eq 3
want="tungate: would deny tcp $SBX4:40021 -> $NEAR4:$ECHO_PORT (rule 1: deny $NEAR4)"
check "--audit: stderr says: $want" grep -qxF "$want" "$TG_TMP/err"
want="tungate: would deny udp [$SBX6]:40022 -> [$FAR6]:$UDP_PORT (default deny)"
check "--audit: stderr says: $want" grep -qxF "$want" "$TG_TMP/err"
check "--audit: nothing else on stderr (no \"denied\", nothing for the allowed flow)" \
	test "$(wc -l <"$TG_TMP/err")" -eq 2
check "--audit log: would_deny by rule, with the bytes that crossed" logq "$L" "src=$SBX4:40021" -- \
	keys ts verdict=would_deny "rule=deny $NEAR4" bytes_out=100 bytes_in=100 end=closed
check "--audit log: would_deny by the default" logq "$L" "src=[$SBX6]:40022" -- \
	keys ts proto=udp verdict=would_deny rule=default bytes_in\>=100
check "--audit log: the allowed flow stays allow" logq "$L" "src=$SBX4:40023" -- \
	verdict=allow "rule=allow $FAR4"

tg_run -q --audit -- "${LT[@]}" connect "$FAR4" $ECHO_PORT >"$TG_TMP/out" 2>"$TG_TMP/err"
check "--audit -q: the flow worked, nothing on stderr ($(wc -c <"$TG_TMP/err") bytes)" \
	eval 'grep -q "^result=OK " "$TG_TMP/out" && [ ! -s "$TG_TMP/err" ]'

echo "  -- --fail-on-deny"
# The program ignores the refusal and exits 0 (or the status given).
denied_then() {
	printf '"$0" "$1" connect %s %s; "$0" "$1" connect %s %s; exit %s' \
		"$FAR4" $ECHO_PORT "$NEAR4" $ECHO_PORT "$1"
}
check_status "--fail-on-deny: program exits 0, a flow was denied -> 123" 123 \
	tg_run -q --fail-on-deny --allow "$FAR4" -- sh -c "$(denied_then 0)" "${LT[@]}"
check_status "without --fail-on-deny: the same run -> 0" 0 \
	tg_run -q --allow "$FAR4" -- sh -c "$(denied_then 0)" "${LT[@]}"
check_status "--fail-on-deny: program exits 3 after a denial -> 3 (its own status wins)" 3 \
	tg_run -q --fail-on-deny --allow "$FAR4" -- sh -c "$(denied_then 3)" "${LT[@]}"
check_status "--fail-on-deny: program killed by SIGTERM after a denial -> 143" 143 \
	tg_run -q --fail-on-deny --allow "$FAR4" -- sh -c "$(denied_then 0 | sed 's/exit 0$/kill -TERM $$/')" "${LT[@]}"
check_status "--fail-on-deny: only a UDP flow denied -> 123" 123 \
	tg_run -q --fail-on-deny --allow 'tcp:*' -- sh -c '"$0" "$1" udp "$2" '$UDP_PORT'; exit 0' \
	"${LT[@]}" "$FAR4"
check_status "--fail-on-deny: nothing denied -> 0" 0 \
	tg_run -q --fail-on-deny --allow "$FAR4" --allow "$NEAR4" -- sh -c "$(denied_then 0)" "${LT[@]}"
out=$(tg_run -q --audit --fail-on-deny --allow "$FAR4" -- sh -c "$(denied_then 0)" "${LT[@]}" 2>&1) &&
	rc=0 || rc=$?
check "--audit --fail-on-deny: both connections worked, exit 123 (status $rc)" \
	test "$rc" -eq 123 -a "$(grep -c '^result=OK ' <<<"$out")" -eq 2

echo "  -- --summary"
tg_run --summary --allow "$FAR4" --allow "[$FAR6]" -- sh -c '
	"$0" "$1" echo "$2" '$ECHO_PORT' --bytes 1000; "$0" "$1" echo "$2" '$ECHO_PORT' --bytes 1000
	"$0" "$1" connect "$3" '$ECHO_PORT'; "$0" "$1" udp "$4" '$UDP_PORT'' \
	"$PY" "$TG_TMP/labtool.py" "$FAR4" "$NEAR4" "$FAR6" >"$TG_TMP/out" 2>"$TG_TMP/err"
sed 's/^/  info  | /' "$TG_TMP/err"
# row DEST PROTO PORT: the table's line for it (fields: the destination
# first, then proto and port, the verdict last).
row() { awk -v d="$1" -v p="$2" -v n="$3" '$1 == d && $2 == p && $3 == n' "$TG_TMP/err"; }
r=$(row "$FAR4" tcp $ECHO_PORT)
check "--summary: $FAR4 tcp $ECHO_PORT, 2 flows, allow: '$r'" \
	eval '[ "$(awk "{ print \$4, \$NF }" <<<"$r")" = "2 allow" ]'
r=$(row "$NEAR4" tcp $ECHO_PORT)
check "--summary: $NEAR4 tcp $ECHO_PORT, 1 flow, deny: '$r'" \
	eval '[ "$(awk "{ print \$4, \$NF }" <<<"$r")" = "1 deny" ]'
r=$(row "$FAR6" udp $UDP_PORT)
check "--summary: $FAR6 udp $UDP_PORT, 1 flow, allow: '$r'" \
	eval '[ "$(awk "{ print \$4, \$NF }" <<<"$r")" = "1 allow" ]'
check "--summary: the table is on stderr, not stdout" eval '! grep -q "$FAR4" "$TG_TMP/out"'
tg_run --summary --audit -- "${LT[@]}" connect "$NEAR6" $ECHO_PORT >"$TG_TMP/out" 2>"$TG_TMP/err"
r=$(row "$NEAR6" tcp $ECHO_PORT)
check "--summary --audit: $NEAR6 tcp $ECHO_PORT, 1 flow, would_deny: '$r'" \
	eval '[ "$(awk "{ print \$4, \$NF }" <<<"$r")" = "1 would_deny" ]'

tg_finish
