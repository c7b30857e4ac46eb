#!/bin/bash
# test_resolver.sh - the sandbox's DNS through the gateway, and names from
# the first bytes, in the lab, as root and as nobody.
#
# The lab's resolver is dnsmasq on LAB's 127.0.0.1:53 (tungate's "host"),
# and a resolv.conf saying "nameserver 127.0.0.1" is bind-mounted over
# /etc/resolv.conf for tungate-run and the sandbox (TG_RESOLV, lib.sh).
# Inside, 127.0.0.1 is the sandbox's own loopback: the query reaches the
# gateway through the loopback capture, and the gateway forwards it to the
# host's 127.0.0.1. No rule is needed for DNS itself. Checked with the
# tools a program would use (getent, dig, curl, openssl s_client):
#   - resolving through the sandbox (UDP and TCP), curl by name allowed and
#     denied by name, NXDOMAIN for names no rule could allow;
#   - no resolver on the host, an unreachable one, a silent one: SERVFAIL
#     from the gateway at once (silent: after 4 s), no hang;
#   - two names on one address, one allowed: the HTTP Host header and the
#     TLS server name (SNI) decide; a name that differs from what DNS said
#     is recorded (dns_host); an address never resolved is decided on them;
#   - --dns=fake: each name its own address from 198.18.0.0/15 or
#     fdff:7467::/96, the connection goes to the real one;
#   - the log's host and host_source for each of these.
# shellcheck disable=SC2317  # functions run through check and wait_for
# shellcheck disable=SC2016  # eval and sh -c strings expand later, on purpose
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
for t in dnsmasq dig getent curl openssl; do
	command -v "$t" >/dev/null ||
		tg_skip_all "$t not installed (build-aux/deps.sh installs it)"
done
lab_up
export TG_TIMEOUT=40
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

for f in logq.py dnsq.py; do
	cp "$TG_E2E_DIR/$f" "$TG_TMP/$f"
	chmod 644 "$TG_TMP/$f"
done
logq() { "$PY" "$TG_TMP/logq.py" "$@"; }
DQ=("$PY" "$TG_TMP/dnsq.py" --server 127.0.0.1)
L=$TG_TMP/flows.jsonl
H=$HTTP_PORT
TLS_PORT=8443

# ---- the lab's resolver and a TLS server -------------------------------------

# dnsmasq in LAB on 127.0.0.1:53, no upstream: allowed.test has FAR4 and
# FAR6; web1/web2/web3.test share FAR4; other.test is NEAR4; every other
# name is NXDOMAIN.
start_dnsmasq "$TG_LAB" 127.0.0.1 allowed.test \
	--host-record="allowed.test,$FAR4,$FAR6" \
	--host-record="web1.test,$FAR4" --host-record="web2.test,$FAR4" \
	--host-record="web3.test,$FAR4" --host-record="other.test,$NEAR4" \
	--host-record="lo.test,127.0.0.1"

# A silent "resolver" on LAB's 127.0.0.3:53: reads queries, never answers.
timeout -k 2 900 ip netns exec "$TG_LAB" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 53))
open(sys.argv[1], "w").close()
s.settimeout(1.0)
end = time.monotonic() + 900
while time.monotonic() < end:
    try:
        s.recv(4096)
    except socket.timeout:
        pass
' "$TG_TMP/silent.ready" >/dev/null 2>&1 &
tg_track $!
wait_for 10 test -e "$TG_TMP/silent.ready" || { echo "silent resolver did not start" >&2; exit 1; }

# TLS on FAR4:8443 (one self-signed certificate; s_client does not verify).
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=web.test -days 2 \
	-keyout "$TG_TMP/tls.key" -out "$TG_TMP/tls.crt" >/dev/null 2>&1 ||
	{ echo "openssl req failed" >&2; exit 1; }
timeout -k 2 900 ip netns exec "$TG_INET" openssl s_server -quiet -www \
	-accept "$FAR4:$TLS_PORT" -cert "$TG_TMP/tls.crt" -key "$TG_TMP/tls.key" \
	>"$TG_TMP/s_server.log" 2>&1 &
tg_track $!
tls_ready() { n_inet sh -c "echo | openssl s_client -brief -connect $FAR4:$TLS_PORT" 2>&1 | grep -q ESTABLISHED; }
wait_for 10 tls_ready || { cat "$TG_TMP/s_server.log" >&2; exit 1; }

resolv() {
	printf 'nameserver %s\n' "$@" >"$TG_TMP/resolv.conf"
	chmod 644 "$TG_TMP/resolv.conf"
	export TG_RESOLV=$TG_TMP/resolv.conf
}
resolv 127.0.0.1

# sbx OUT ERR TUNGATE-OPTIONS... -- SCRIPT: run sh -c SCRIPT in a sandbox.
sbx() {
	local out=$1 err=$2
	shift 2
	tg_run "$@" >"$out" 2>"$err"
}

# line_of FILE TAG: the rest of FILE's line "TAG ...".
line_of() { sed -n "s/^$2 //p" "$1" | head -n 1; }

O=$TG_TMP/out E=$TG_TMP/err

# ---- resolving through the sandbox ---------------------------------------------

echo "  -- nameserver 127.0.0.1 (the sandbox's loopback -> the host's resolver)"
rm -f "$L"
sbx "$O" "$E" --log "$L" --allow "tcp:allowed.test:$H" --allow "tcp:other.test:$ECHO_PORT" -- sh -c "
	echo getent \$(getent ahostsv4 allowed.test | awk 'NR == 1 { print \$1 }')
	echo getent6 \$(getent ahostsv6 allowed.test | awk 'NR == 1 { print \$1 }')
	echo dig \$(dig +short +time=2 +tries=1 allowed.test)
	echo digtcp \$(dig +tcp +short +time=2 +tries=1 allowed.test)
	echo nx \$(dig +time=2 +tries=1 nosuch.test | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	echo odd \$(dig +time=2 +tries=1 'odd\\032name.test' | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	curl -sS -o /dev/null -w 'curl %{http_code}\n' http://allowed.test:$H/peer
	curl -sS -m 5 -o /dev/null http://other.test:$H/peer 2>/dev/null
	echo curl_other \$?
"
check "getent ahostsv4 allowed.test: $FAR4" test "$(line_of "$O" getent)" = "$FAR4"
check "getent ahostsv6 allowed.test: $FAR6" test "$(line_of "$O" getent6)" = "$FAR6"
check "dig allowed.test (UDP): $FAR4" test "$(line_of "$O" dig)" = "$FAR4"
check "dig +tcp allowed.test: $FAR4" test "$(line_of "$O" digtcp)" = "$FAR4"
check "dig nosuch.test: NXDOMAIN (no rule could allow it)" test "$(line_of "$O" nx)" = NXDOMAIN
check "dig 'odd\\032name.test' (no hostname): REFUSED, not sent on" test "$(line_of "$O" odd)" = REFUSED
check "curl http://allowed.test:$H/peer: allowed by name (200)" test "$(line_of "$O" curl)" = 200
check "curl http://other.test:$H/peer: denied by name (curl exit 7)" test "$(line_of "$O" curl_other)" = 7
check "stderr: the denial names other.test" grep -q "tungate: denied tcp .* -> $NEAR4:$H (other.test, default deny)" "$E"
check "log: curl's flow: host=allowed.test, from DNS" logq "$L" proto=tcp "dst=$FAR4:$H" -- \
	verdict=allow host=allowed.test host_source=dns "rule=allow tcp:allowed.test:$H"
check "log: the denied flow: host=other.test" logq "$L" proto=tcp "dst=$NEAR4:$H" -- \
	verdict=deny host=other.test rule=default end=denied
check "log: nosuch.test's query: denied" logq "$L" proto=udp host=nosuch.test verdict=deny -- \
	"dst=127.0.0.1:53" end=denied rule=default
check "log: no allowed record names nosuch.test (its session sent nothing)" \
	eval '! grep "\"host\":\"nosuch.test\"" "$L" | grep -q "\"verdict\":\"allow\""'
check "log: resolver flows are allowed as 'resolver', scope loopback" \
	logq "$L" proto=tcp "dst=127.0.0.1:53" -- verdict=allow rule=resolver scope=loopback

# ---- DNS over TCP ------------------------------------------------------------------

# "options use-vc": the resolver library asks over TCP only. The gateway
# relays TCP queries one message at a time: it learns from the answers and
# answers refused names itself, as over UDP, also among pipelined queries.
echo "  -- DNS over TCP (options use-vc)"
printf 'nameserver 127.0.0.1\noptions use-vc\n' >"$TG_TMP/resolv.conf"
rm -f "$L"
sbx "$O" "$E" --log "$L" --allow "tcp:allowed.test:$H" -- sh -c "
	echo getent \$(getent ahostsv4 allowed.test | awk 'NR == 1 { print \$1 }')
	curl -sS -o /dev/null -w 'curl %{http_code}\n' http://allowed.test:$H/peer
	getent hosts nosuch.test >/dev/null; echo nx \$?
	${DQ[*]} pipe:allowed.test,nosuch.test,allowed.test,other.test,allowed.test
"
check "getent over TCP: $FAR4" test "$(line_of "$O" getent)" = "$FAR4"
check "curl by name, resolved over TCP: allowed (the answer taught the name)" \
	test "$(line_of "$O" curl)" = 200
check "getent nosuch.test over TCP: not found" test "$(line_of "$O" nx)" = 2
pipe=$(grep '^result=' "$O" | tail -n 1)
check "5 pipelined queries, 2 refused: answers in order ($(kv rcodes "$pipe"))" test \
	"$(kv result "$pipe") $(kv rcodes "$pipe")" = "OK NOERROR,NXDOMAIN,NOERROR,NXDOMAIN,NOERROR"
check "log: the refused TCP query: denied, host=other.test" logq "$L" proto=tcp \
	host=other.test verdict=deny -- "dst=127.0.0.1:53" end=denied
check "log: curl's flow: host=allowed.test, from DNS over TCP" logq "$L" proto=tcp \
	"dst=$FAR4:$H" -- verdict=allow host=allowed.test host_source=dns
resolv 127.0.0.1

# ---- no resolver -----------------------------------------------------------------

# dig_fail NS: dig and getent through a sandbox whose resolv.conf names
# only NS; leaves "dig STATUS MS" and "getent STATUS MS" lines in $O.
dig_fail() {
	resolv "$1"
	sbx "$O" "$E" --allow tcp:allowed.test:80 -- sh -c '
		s=$(date +%s%N)
		st=$(dig +time=8 +tries=1 allowed.test | sed -n "s/.*status: \([A-Z]*\),.*/\1/p")
		echo dig ${st:-none} $(( ($(date +%s%N) - s) / 1000000 ))
		s=$(date +%s%N)
		getent hosts allowed.test >/dev/null; rc=$?
		echo getent $rc $(( ($(date +%s%N) - s) / 1000000 ))'
}
# fast_fail DESC NS MAX: dig gets SERVFAIL, getent fails, both < MAX ms.
fast_fail() {
	local d g
	dig_fail "$2"
	d=$(line_of "$O" dig) g=$(line_of "$O" getent)
	if [ "${d%% *}" = SERVFAIL ] && [ "${d#* }" -lt "$3" ] &&
		[ "${g%% *}" != 0 ] && [ "${g#* }" -lt "$3" ]; then
		pass "$1: SERVFAIL (dig: ${d#* } ms; getent status ${g%% *}: ${g#* } ms)"
	else
		fail "$1" "dig: $d, getent: $g; want SERVFAIL and a failure, each < $3 ms"
	fi
}
echo "  -- no resolver on the host"
fast_fail "nothing listens on the host's 127.0.0.2:53" 127.0.0.2 2000
fast_fail "no route to $NOROUTE4" "$NOROUTE4" 2000
# getent asks twice (A and AAAA, in parallel): one 4 s wait.
fast_fail "a silent resolver (SERVFAIL from the gateway after 4 s)" 127.0.0.3 6500
resolv 127.0.0.1

# ---- two names, one address: the first bytes decide ------------------------------

# web2.test and web3.test are allowed on another port only: their queries
# are answered, the policy treats the names differently on these ports.
echo "  -- web1.test and web2.test share $FAR4; only web1.test is allowed"
rm -f "$L"
W23=(--allow "tcp:web2.test:$ECHO_PORT" --allow "tcp:web3.test:$ECHO_PORT")
sbx "$O" "$E" --summary --log "$L" --allow "tcp:web1.test:$H" --allow "tcp:web1.test:$TLS_PORT" "${W23[@]}" -- sh -c "
	getent ahostsv4 web2.test >/dev/null; getent ahostsv4 web1.test >/dev/null
	curl -sS -m 5 -o /dev/null -w 'web1 %{http_code}\n' http://web1.test:$H/peer
	curl -sS -m 5 -o /dev/null http://web2.test:$H/peer 2>/dev/null; echo web2 \$?
	curl -sS -m 5 -o /dev/null -H 'Host: web3.test' http://web1.test:$H/peer 2>/dev/null; echo web3 \$?
	echo | openssl s_client -brief -connect web1.test:$TLS_PORT -servername web1.test 2>&1 |
		grep -q 'CONNECTION ESTABLISHED'; echo sni1 \$?
	echo | openssl s_client -brief -connect web2.test:$TLS_PORT -servername web2.test 2>&1 |
		grep -q 'CONNECTION ESTABLISHED'; echo sni2 \$?
"
check "HTTP Host: web1.test: allowed (200)" test "$(line_of "$O" web1)" = 200
check "HTTP Host: web2.test: reset (curl exit 56)" test "$(line_of "$O" web2)" = 56
check "HTTP Host: web3.test (never resolved): reset" test "$(line_of "$O" web3)" = 56
check "TLS SNI web1.test: handshake done" test "$(line_of "$O" sni1)" = 0
check "TLS SNI web2.test: refused" test "$(line_of "$O" sni2)" = 1
check "log: Host web1.test: allowed, host_source=http" logq "$L" proto=tcp \
	"dst=$FAR4:$H" host=web1.test -- verdict=allow host_source=http dns_host=null
check "log: Host web2.test: denied, host_source=http" logq "$L" proto=tcp \
	"dst=$FAR4:$H" host=web2.test -- verdict=deny host_source=http end=denied
# curl resolved web1.test last: the most recent name DNS gave.
check "log: Host web3.test: denied, DNS's name kept as dns_host" logq "$L" proto=tcp \
	"dst=$FAR4:$H" host=web3.test -- verdict=deny host_source=http dns_host=web1.test
check "log: SNI web1.test: allowed, host_source=sni" logq "$L" proto=tcp \
	"dst=$FAR4:$TLS_PORT" host=web1.test -- verdict=allow host_source=sni
check "log: SNI web2.test: denied, host_source=sni" logq "$L" proto=tcp \
	"dst=$FAR4:$TLS_PORT" host=web2.test -- verdict=deny host_source=sni
# --summary: one row per name, protocol, port and verdict (not per address)
row() { awk -v d="$1" -v p="$2" -v n="$3" -v v="$4" '$1 == d && $2 == p && $3 == n && $NF == v' "$E"; }
check "--summary: a row for web1.test tcp $H allow, by name: '$(row web1.test tcp "$H" allow)'" \
	test -n "$(row web1.test tcp "$H" allow)"
check "--summary: a row for web2.test tcp $TLS_PORT deny, by name: '$(row web2.test tcp "$TLS_PORT" deny)'" \
	test -n "$(row web2.test tcp "$TLS_PORT" deny)"
check "--summary: no row for the shared address itself" eval '! grep -q "^ *$FAR4 " "$E"'

echo "  -- an address never resolved, a name rule for its port"
rm -f "$L"
sbx "$O" "$E" --log "$L" --allow "tcp:web1.test:$H" -- sh -c "
	curl -sS -m 5 -o /dev/null -w 'named %{http_code}\n' -H 'Host: web1.test' http://$FAR4:$H/peer
	curl -sS -m 5 -o /dev/null http://$FAR4:$H/peer 2>/dev/null; echo literal \$?
"
check "curl http://$FAR4:$H/ with Host: web1.test: allowed" test "$(line_of "$O" named)" = 200
check "curl http://$FAR4:$H/ (Host is the address): reset" test "$(line_of "$O" literal)" = 56
check "log: host=web1.test from the Host header" logq "$L" proto=tcp "dst=$FAR4:$H" \
	verdict=allow -- host=web1.test host_source=http
check "log: the address alone: denied, no host" logq "$L" proto=tcp "dst=$FAR4:$H" \
	verdict=deny -- host=null end=denied

# ---- --dns=fake --------------------------------------------------------------------

echo "  -- --dns=fake"
rm -f "$L"
sbx "$O" "$E" --dns=fake --log "$L" --allow "tcp:web1.test:$H" --allow "tcp:allowed.test:$H" \
	"${W23[@]}" -- sh -c "
	echo a4 \$(getent ahostsv4 allowed.test | awk 'NR == 1 { print \$1 }')
	echo a6 \$(getent ahostsv6 allowed.test | awk 'NR == 1 { print \$1 }')
	echo w1 \$(getent ahostsv4 web1.test | awk 'NR == 1 { print \$1 }')
	echo w2 \$(getent ahostsv4 web2.test | awk 'NR == 1 { print \$1 }')
	echo c1 \$(curl -sS -m 5 http://web1.test:$H/peer)
	echo c6 \$(curl -sS -m 5 -6 http://allowed.test:$H/peer)
	curl -sS -m 5 -o /dev/null http://web2.test:$H/peer 2>/dev/null; echo c2 \$?
	curl -sS -m 5 -o /dev/null -H 'Host: web1.test' http://$FAR4:$H/peer 2>/dev/null; echo lit \$?
"
a4=$(line_of "$O" a4) a6=$(line_of "$O" a6) w1=$(line_of "$O" w1) w2=$(line_of "$O" w2)
check "allowed.test: a made-up IPv4 address ($a4)" eval 'case $a4 in 198.1[89].*) true ;; *) false ;; esac'
check "allowed.test: a made-up IPv6 address ($a6), same index" eval \
	'case $a6 in fdff:7467::*) true ;; *) false ;; esac'
check "web1.test and web2.test: different addresses ($w1, $w2)" eval \
	'[ -n "$w1" ] && [ -n "$w2" ] && [ "$w1" != "$w2" ] && [ "$w1" != "$a4" ]'
check "curl web1.test: relayed to the real $FAR4 (the server saw LAB's address)" \
	test "$(line_of "$O" c1)" = "$LAB4"
check "curl -6 allowed.test: relayed to the real $FAR6" test "$(line_of "$O" c6)" = "$LAB6"
check "curl web2.test (same real address, no rule): denied" test "$(line_of "$O" c2)" = 7
check "curl $FAR4 with Host: web1.test: refused at once (no peeking: names are exact)" \
	test "$(line_of "$O" lit)" = 7
check "log: web1.test: host_source=fake, dst the made-up address" logq "$L" proto=tcp \
	"dst=$w1:$H" -- verdict=allow host=web1.test host_source=fake
check "log: web2.test: denied by its exact name" logq "$L" proto=tcp "dst=$w2:$H" -- \
	verdict=deny host=web2.test host_source=fake end=denied

echo "  -- --dns=fake: a name whose real address is loopback is the host's loopback"
rm -f "$L"
sbx "$O" "$E" --dns=fake --log "$L" --deny host --allow "tcp:lo.test:$LOOP_HTTP_PORT" -- sh -c "
	curl -sS -m 5 -o /dev/null http://lo.test:$LOOP_HTTP_PORT/peer 2>/dev/null; echo lo \$?
"
check "curl lo.test (127.0.0.1) with --deny host first: denied" test "$(line_of "$O" lo)" = 7
check "log: scope host, the --deny host rule" logq "$L" proto=tcp host=lo.test -- \
	scope=host verdict=deny "rule=deny host" host_source=fake

tg_finish
