#!/bin/bash
# test_names.sh - hostname rules, in the lab, as root and as nobody: the
# gateway learns which names an address stands for from the DNS answers it
# relays (UDP replies from port 53), and `tcp:NAME:PORT` / `*.DOMAIN` rules
# match flows to those addresses. A DNS server in INET (dnsmasq on
# 198.51.100.2:53, no upstream, answers from its own config; its TTLs are 0,
# so every allowed flow here also relies on the 60 s floor) and dnsq.py, run
# inside the sandbox (queries by hand over UDP, then connects), show:
#   - resolving a name a rule allows, then connecting, works (IPv4 and IPv6,
#     TCP and UDP); the same address without resolving first is denied, and
#     so is another port of it and an address resolved for another name;
#   - a CNAME chain is learned from the name asked for (alias.test), and a
#     query for a name no rule allows is answered NXDOMAIN by the gateway;
#   - *.wild.test matches a.wild.test, not wild.test itself;
#   - only answers from port 53 teach: a forged answer echoed back by a UDP
#     echo server, or sent by the program to port 53, teaches nothing;
#   - DNS is an ordinary UDP flow: not allowed, the query is denied and so is
#     the connection;
#   - the --log record's "host" is the name, the "denied" line shows it.
# The rule grammar itself: test_policy.sh; the log's other fields:
# test_policy_log.sh.
# shellcheck disable=SC2317  # functions run through check and wait_for
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
command -v dnsmasq >/dev/null ||
	tg_skip_all "dnsmasq not installed (build-aux/deps.sh installs dnsmasq-base)"
lab_up
export TG_TIMEOUT=30
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

for f in dnsq.py logq.py; do
	cp "$TG_E2E_DIR/$f" "$TG_TMP/$f"
	chmod 644 "$TG_TMP/$f"
done
DQ=("$PY" "$TG_TMP/dnsq.py")
logq() { "$PY" "$TG_TMP/logq.py" "$@"; }
L=$TG_TMP/flows.jsonl
DNS=udp:$NEAR4:53               # the rule that lets DNS through

# ---- the DNS server --------------------------------------------------------

# dnsmasq in INET on NEAR4:53 only, no upstream (nothing is ever forwarded):
# allowed.test A+AAAA, alias.test CNAME allowed.test (a --cname target must
# be a host record), other.test, a.wild.test, wild.test; NXDOMAIN for every
# other name (--address=/#/).
start_dnsmasq "$TG_INET" "$NEAR4" allowed.test \
	--host-record="allowed.test,$FAR4,$FAR6" \
	--cname=alias.test,allowed.test \
	--address="/other.test/$NEAR4" \
	--host-record="a.wild.test,$FAR4" \
	--host-record="wild.test,$NEAR4"

echo "  -- the lab's DNS server, from LAB directly (no tungate-run)"
out=$(n_lab "${DQ[@]}" a:allowed.test aaaa:allowed.test a:alias.test a:other.test \
	a:a.wild.test a:wild.test a:nosuch.test 2>&1)
lab_dns_ok() {
	printf '%s\n' "$out" | awk -v f4="$FAR4" -v f6="$FAR6" -v n4="$NEAR4" '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  r[v["step"]] = v["result"] " " v["addrs"] " " v["chain"] }
		END {
			exit !(r["a:allowed.test"] == "OK " f4 " allowed.test" &&
			       r["aaaa:allowed.test"] == "OK " f6 " allowed.test" &&
			       r["a:alias.test"] == "OK " f4 " alias.test>allowed.test" &&
			       r["a:other.test"] == "OK " n4 " other.test" &&
			       r["a:a.wild.test"] == "OK " f4 " a.wild.test" &&
			       r["a:wild.test"] == "OK " n4 " wild.test" &&
			       r["a:nosuch.test"] == "NXDOMAIN - nosuch.test")
		}' || { printf '%s\n' "$out"; return 1; }
}
check "dnsmasq: allowed.test A/AAAA, alias.test CNAME chain, other.test, a.wild.test, wild.test, NXDOMAIN" \
	lab_dns_ok
ttl=$(printf '%s\n' "$out" | grep 'step=a:allowed.test ' | sed -n 's/.* ttl=\([^ ]*\).*/\1/p')
echo "  info  the answers' TTL is ${ttl:-?} s (below the 60 s floor)"

# ---- cases -----------------------------------------------------------------

# denied_line PROTO DST FILE: the reason in FILE's "tungate: denied PROTO
# SRC -> DST (REASON)" line for DST; fails if there is none.
denied_line() {
	awk -v p="$1" -v d="$2" '
		$1 == "tungate:" && $2 == "denied" && $3 == p && $5 == "->" && $6 == d {
			sub(/^[^(]*\(/, ""); sub(/\)$/, ""); print; found = 1; exit
		}
		END { exit !found }' "$3"
}

# dcase NAME TUNGATE-OPTIONS... ++ STEP=WANT...
# One sandbox with those options runs dnsq.py over the STEPs, in order (a
# name's address comes from an earlier a:/aaaa: step in the same sandbox).
# One check per STEP:
#   a:/aaaa: STEP  ADDRS    resolved to exactly ADDRS (comma-separated)
#                  DENY     failed at once (< 1 s) and a "denied" line names
#                           udp SERVER:53
#   tcp:/udp: STEP OK       it worked (TCP: a line echoed back)
#                  DENY     ECONNREFUSED (TCP), EHOSTUNREACH/EACCES (UDP) in
#                           < 1 s, and a "denied" line names the destination
#                  PEEKDENY (TCP) the same, but ECONNRESET: an address never
#                           resolved, with a name rule for its port, is
#                           decided on the first bytes (not a name here)
#                  DENY@WHY   and its reason is exactly WHY
#                  DENY~NAME  and its reason mentions NAME (a word of it)
#   any STEP       WORD     result=WORD (NXDOMAIN, NOREPLY...)
# Leaves stdout/stderr in $TG_TMP/dcase.out / dcase.err.
dcase() {
	local name=$1 opts=() specs=() wants=() p i spec want kind res el dst why
	local out=$TG_TMP/dcase.out err=$TG_TMP/dcase.err
	shift
	while [ $# -gt 0 ] && [ "$1" != ++ ]; do opts+=("$1"); shift; done
	shift
	for p; do specs+=("${p%%=*}"); wants+=("${p#*=}"); done
	# fake:NAME=ADDR@HOST:PORT has its own "=": split at the last one.
	for i in "${!specs[@]}"; do
		case ${specs[$i]} in fake:*)
			p=${specs[$i]}=${wants[$i]}
			specs[i]=${p%=*} wants[i]=${p##*=} ;;
		esac
	done
	tg_run "${opts[@]}" -- "${DQ[@]}" "${specs[@]}" >"$out" 2>"$err"
	for i in "${!specs[@]}"; do
		spec=${specs[$i]} want=${wants[$i]} kind=${specs[$i]%%:*}
		p=$(awk -v n="n=$((i + 1))" '$1 ~ /^result=/ && $2 == n' "$out")
		res=$(kv result "$p") || res=NONE
		el=$(kv elapsed "$p") || el=99
		dst=$(kv dst "$p") || dst=
		case $kind:$want in
		a:DENY|aaaa:DENY)
			why=$(denied_line udp "$NEAR4:53" "$err") || why=
			if [ "$res" = OK ] || [ -z "$why" ]; then
				fail "$name: $spec denied" "result=$res, denied line: ${why:-none}; stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
			elif ! awk -v e="$el" 'BEGIN { exit !(e + 0 < 1) }'; then
				fail "$name: $spec denied" "$res after $el s, want < 1 s"
			else
				pass "$name: $spec denied ($res, $el s; $why)"
			fi ;;
		a:*[.:]*|aaaa:*[.:]*)
			if [ "$res" = OK ] && [ "$(kv addrs "$p")" = "$want" ]; then
				pass "$name: $spec -> $want (chain $(kv chain "$p"))"
			else
				fail "$name: $spec -> $want" "${p:-no output}; stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
			fi ;;
		tcp:DENY*|udp:DENY*|tcp:PEEKDENY*)
			local want_res=ECONNREFUSED
			case $want in PEEKDENY*) want=${want#PEEK} want_res=ECONNRESET ;; esac
			if [ "$kind" = udp ]; then
				case $dst in \[*) want_res=EACCES ;; *) want_res=EHOSTUNREACH ;; esac
			fi
			why=$(denied_line "$kind" "$dst" "$err") || why=
			if [ -z "$why" ]; then
				fail "$name: $spec denied" "no 'tungate: denied $kind ... -> $dst' line (result=$res); stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
			elif [ "$res" != "$want_res" ]; then
				fail "$name: $spec denied" "result=$res, want $want_res"
			elif ! awk -v e="$el" 'BEGIN { exit !(e + 0 < 1) }'; then
				fail "$name: $spec denied" "$res after $el s, want < 1 s"
			elif [ "${want#DENY@}" != "$want" ] && [ "$why" != "${want#DENY@}" ]; then
				fail "$name: $spec denied" "reason '($why)', want '(${want#DENY@})'"
			elif [ "${want#DENY~}" != "$want" ] &&
				! printf '%s\n' "$why" | tr -c 'a-zA-Z0-9.*-' '\n' | grep -qxF "${want#DENY~}"; then
				fail "$name: $spec denied" "reason '($why)' does not name ${want#DENY~}"
			else
				pass "$name: $spec -> $dst denied ($res, $el s; $why)"
			fi ;;
		*)
			if [ "$res" = "$want" ]; then
				pass "$name: $spec${dst:+ -> $dst}: $res"
			else
				fail "$name: $spec: $want" "${p:-no output}; stderr: $(tr '\n' ' ' <"$err" | cut -c1-300)"
			fi ;;
		esac
	done
}

E=$ECHO_PORT
A=allowed.test

echo "  -- --allow $DNS --allow tcp:$A:$E --allow udp:$A:$UDP_PORT"
rm -f "$L"
dcase "$A" --allow "$DNS" --allow "tcp:$A:$E" --allow "udp:$A:$UDP_PORT" --log "$L" ++ \
	"tcp:$FAR4:$E=PEEKDENY@default deny" \
	"a:nosuch.test=NXDOMAIN" \
	"a:$A=$FAR4" \
	"tcp:$A:$E=OK" \
	"udp:$A:$UDP_PORT=OK" \
	"tcp:$A:$SUM_PORT=DENY~$A" \
	"aaaa:$A=$FAR6" \
	"tcp:$A:$E=OK" \
	"a:other.test=NXDOMAIN" \
	"tcp:$NEAR4:$E=PEEKDENY@default deny"
check "log: the allowed TCP flow: host=$A, the name rule" logq "$L" proto=tcp \
	"dst=$FAR4:$E" verdict=allow -- "host=$A" "rule=allow tcp:$A:$E" scope=external end=closed
check "log: the same address before resolving: denied, host=null" logq "$L" proto=tcp \
	"dst=$FAR4:$E" verdict=deny -- host=null rule=default
check "log: the allowed UDP flow: host=$A" logq "$L" proto=udp "dst=$FAR4:$UDP_PORT" -- \
	verdict=allow "host=$A" "rule=allow udp:$A:$UDP_PORT"
check "log: the allowed IPv6 flow: host=$A" logq "$L" proto=tcp "dst=[$FAR6]:$E" -- \
	verdict=allow "host=$A" "rule=allow tcp:$A:$E"
check "log: another port of $A: denied, host=$A" logq "$L" proto=tcp "dst=$FAR4:$SUM_PORT" -- \
	verdict=deny "host=$A" rule=default
# No rule could allow other.test: the gateway answers NXDOMAIN itself, and
# logs the query as a denied DNS flow. Nothing about the name leaves.
check "log: the query for other.test: denied DNS, host=other.test" logq "$L" proto=udp \
	verdict=deny host=other.test -- "dst=$NEAR4:53" rule=default end=denied bytes_out=0
check "log: other.test's address, never learned: denied, host=null" logq "$L" proto=tcp \
	"dst=$NEAR4:$E" -- verdict=deny host=null rule=default

echo "  -- CNAME: alias.test -> $A"
rm -f "$L"
# A query for alias.test is answered NXDOMAIN by the gateway when only
# allowed.test has a rule (no rule could allow the name asked for).
dcase "alias, rule for its target" --allow "$DNS" --allow "tcp:$A:$E" --log "$L" ++ \
	"a:alias.test=NXDOMAIN" "tcp:$FAR4:$E=PEEKDENY@default deny"
check "log: the query for alias.test: denied DNS" logq "$L" proto=udp verdict=deny \
	host=alias.test -- end=denied
rm -f "$L"
dcase "rule for alias.test" --allow "$DNS" --allow "tcp:alias.test:$E" --log "$L" ++ \
	"a:$A=NXDOMAIN" "tcp:$FAR4:$E=PEEKDENY@default deny" "a:alias.test=$FAR4" "tcp:alias.test:$E=OK"
check "log: host=alias.test" logq "$L" proto=tcp "dst=$FAR4:$E" verdict=allow -- \
	host=alias.test "rule=allow tcp:alias.test:$E"

echo "  -- *.wild.test"
rm -f "$L"
dcase "*.wild.test" --allow "$DNS" --allow "tcp:*.wild.test:$E" --log "$L" ++ \
	"a:a.wild.test=$FAR4" "tcp:a.wild.test:$E=OK" \
	"a:wild.test=NXDOMAIN" "tcp:$NEAR4:$E=PEEKDENY@default deny" \
	"a:b.wild.test=NXDOMAIN"
check "log: host=a.wild.test, the wildcard rule" logq "$L" proto=tcp "dst=$FAR4:$E" -- \
	verdict=allow host=a.wild.test "rule=allow tcp:*.wild.test:$E"

echo "  -- --audit: a query no rule allows is forwarded and logged would_deny"
rm -f "$L"
dcase "audit" --audit --allow "$DNS" --allow "tcp:$A:$E" --log "$L" ++ \
	"a:other.test=$NEAR4"
check "log: the query for other.test: would_deny, forwarded" logq "$L" proto=udp \
	verdict=would_deny host=other.test -- "dst=$NEAR4:53"

echo "  -- only answers from port 53 teach"
dcase "forged answers" --allow "$DNS" --allow "udp:$FAR4:$UDP_PORT" --allow "tcp:$A:$E" ++ \
	"fake:$A=$FAR4@$FAR4:$UDP_PORT=OK" \
	"fake:$A=$FAR4@$NEAR4:53=NOREPLY" \
	"tcp:$FAR4:$E=PEEKDENY@default deny" \
	"a:$A=$FAR4" "tcp:$A:$E=OK"

echo "  -- DNS not allowed"
dcase "no DNS rule" --allow "tcp:$A:$E" ++ \
	"a:$A=DENY" "tcp:$FAR4:$E=PEEKDENY@default deny"

tg_finish
