# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the test scripts
# lib.sh - shared helpers for tungate's end-to-end tests (bash; source it).
#
# Each test script builds its own lab, runs tungate-run in it and tears it all
# down in a trap. Nothing leaves the two namespaces below: no address outside
# 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 and loopback is ever used.
#
#   ┌──────────────────────── LAB (tg-lab-$$) ─────────────────────────┐
#   │ tungate's "host": tungate-run runs here, as root or as nobody    │
#   │                                                                  │
#   │  ┌─── sandbox (user+net ns) ───┐      gateway (lwIP) inside      │
#   │  │ program                     │      tungate-run: relays each   │
#   │  │ tun0 10.12.0.2/24 fd12::2/64├─TUN─ flow from LAB, except      │
#   │  │ default via 10.12.0.1       │      10.12.0.1:P -> 127.0.0.1:P │
#   │  │         and fd12::1         │      [fd12::1]:P -> [::1]:P     │
#   │  └─────────────────────────────┘                                 │
#   │                                                                  │
#   │ lo    127.0.0.1 ::1            loopback servers (LOOP_*_PORT)    │
#   │ veth0 198.51.100.1/24 2001:db8:1::1/64             (LAB4, LAB6)  │
#   │ routes: 203.0.113.10/32   via 198.51.100.2                       │
#   │         2001:db8:2::10/128 via 2001:db8:1::2   (no default route)│
#   └──────────────────────────────┬───────────────────────────────────┘
#                                  │ veth
#   ┌──────────────────────────────┴─── INET (tg-inet-$$) ─────────────┐
#   │ "the internet"                                                   │
#   │ veth0 198.51.100.2/24 2001:db8:1::2/64            (NEAR4, NEAR6) │
#   │ lo    203.0.113.10/32 2001:db8:2::10/128          (FAR4,  FAR6)  │
#   │ servers on all four addresses: HTTP, echo, sum, source, UDP echo │
#   └──────────────────────────────────────────────────────────────────┘
#
# Use:
#   . "$(dirname "$0")/lib.sh"
#   tg_init            # root check, temp dir, trap, BIN and --as from env
#   lab_up             # namespaces, addresses, routes, servers (ready)
#   check "what" cmd…  # one line per check: "ok", "FAIL" or "skip"
#   tg_run [tungate-run options] -- cmd…   # BIN in LAB as root or nobody
#   tg_finish          # exit 0 pass / 1 fail / 77 all skipped
#
# Environment (set by run.sh, or by hand):
#   TG_BIN   path of tungate-run (required)
#   TG_AS    root | user                  (default root)
#   TG_KEEP  1 = keep the temp dir after the run (namespaces are always removed)
#   TG_NETNS_LOG  file to append the names of created namespaces to (run.sh
#            uses it to clean up after a test that was killed)

set -u

TG_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ---- addresses and ports -------------------------------------------------

NEAR4=198.51.100.2      NEAR6=2001:db8:1::2     # INET's veth, one hop away
FAR4=203.0.113.10       FAR6=2001:db8:2::10     # INET's lo, routed via veth
LAB4=198.51.100.1       LAB6=2001:db8:1::1      # LAB's veth (gateway source)
GW4=10.12.0.1           GW6=fd12::1             # sandbox gateway = LAB's lo
SBX4=10.12.0.2          SBX6=fd12::2            # sandbox's own addresses
NOROUTE4=203.0.113.99   NOROUTE6=2001:db8:3::99 # no route in LAB: unreachable

# set_fam 4|6: near far noroute sbx lab gw loop = that family's addresses.
set_fam() {
	case $1 in
	4) near=$NEAR4 far=$FAR4 noroute=$NOROUTE4 sbx=$SBX4 lab=$LAB4 gw=$GW4 loop=127.0.0.1 ;;
	6) near=$NEAR6 far=$FAR6 noroute=$NOROUTE6 sbx=$SBX6 lab=$LAB6 gw=$GW6 loop=::1 ;;
	esac
}

HTTP_PORT=8080 ECHO_PORT=7007 SUM_PORT=7008 UDP_PORT=7009   # INET servers
SOURCE_PORT=7010                                            # INET: N raw bytes
LOOP_HTTP_PORT=8180 LOOP_ECHO_PORT=7107 LOOP_UDP_PORT=7109  # LAB 127.0.0.1/::1
CLOSED_PORT=7999                                            # nothing listens

NOBODY_UID=65534 NOBODY_GID=65534
USER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---- results ---------------------------------------------------------------

TG_PASS=0 TG_FAIL=0 TG_SKIP=0

pass() { TG_PASS=$((TG_PASS + 1)); printf '  ok    %s\n' "$1"; }
fail() {
	TG_FAIL=$((TG_FAIL + 1))
	printf '  FAIL  %s%s\n' "$1" "${2:+: $2}"
}
skip() { TG_SKIP=$((TG_SKIP + 1)); printf '  skip  %s%s\n' "$1" "${2:+: $2}"; }

# check DESC CMD...: pass if CMD exits 0; on failure show CMD's last output.
# (Locals start with "_" so that CMD may be `eval '... $out ...'` on the
# caller's variables.)
check() {
	local _desc=$1 _out _rc
	shift
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -eq 0 ]; then
		pass "$_desc"
	else
		fail "$_desc" "exit $_rc: $(printf '%s' "$_out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# check_status DESC WANT CMD...: pass if CMD exits with status WANT.
check_status() {
	local _desc=$1 _want=$2 _out _rc
	shift 2
	_out=$("$@" 2>&1) && _rc=0 || _rc=$?
	if [ "$_rc" -eq "$_want" ]; then
		pass "$_desc (status $_rc)"
	else
		fail "$_desc" "status $_rc, want $_want; $(printf '%s' "$_out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# kv KEY LINE: the value of KEY in a "k=v k=v" line printed by labtool.py.
kv() {
	local _w
	for _w in $2; do
		case $_w in "$1"=*) printf '%s\n' "${_w#*=}"; return 0 ;; esac
	done
	return 1
}

# lt_expect DESC WANT_RESULT MAX_SECONDS CMD...: run a labtool client (through
# CMD, e.g. tg_run -- "${LT[@]}" connect ...), pass if its result= is
# WANT_RESULT (a |-separated list is allowed) and, if MAX_SECONDS is not "-",
# its own measured elapsed= is below MAX_SECONDS.
lt_expect() {
	local _desc=$1 _want=$2 _max=$3 _out _line _res _el
	shift 3
	_out=$("$@" 2>&1)
	_line=$(printf '%s\n' "$_out" | grep '^result=' | tail -n 1)
	_res=$(kv result "$_line") || _res=NONE
	_el=$(kv elapsed "$_line") || _el=
	case "|$_want|" in
	*"|$_res|"*) ;;
	*) fail "$_desc" "result=$_res, want $_want; $(printf '%s' "$_out" | tail -n 3 | tr '\n' ' ')"
	   return 1 ;;
	esac
	if [ "$_max" != - ] && ! awk -v e="$_el" -v m="$_max" 'BEGIN { exit !(e != "" && e + 0 < m + 0) }'; then
		fail "$_desc" "result=$_res but took ${_el:-?} s, want < $_max s"
		return 1
	fi
	# On success the hashes are noise: keep the rest of the line.
	pass "$_desc ($(printf '%s' "$_line" | sed -E 's/ (sha256|expected)=[^ ]*//g'))"
}

# check_sha DESC WANT_SHA LINE: LINE (from labtool download/upload) says
# result=OK and sha256=WANT_SHA; on failure the line is shown.
check_sha() {
	if [ "$(kv result "$3")" = OK ] && [ "$(kv sha256 "$3")" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "${3:-no output}"
	fi
}

tg_finish() {
	printf '  -- %d ok, %d failed, %d skipped\n' "$TG_PASS" "$TG_FAIL" "$TG_SKIP"
	[ "$TG_FAIL" -eq 0 ] || exit 1
	[ "$TG_PASS" -gt 0 ] || exit 77
	exit 0
}

tg_skip_all() { printf '  skip  %s\n' "$1"; exit 77; }

# ---- bounded waiting -------------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds, at most
# SECONDS. Returns CMD's last status.
wait_for() {
	local n=$(( $1 * 20 )) i=0
	shift
	while [ "$i" -lt "$n" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	"$@" 2>/dev/null
}

# wait_pid_gone SECONDS PID: wait until PID no longer exists.
wait_pid_gone() { wait_for "$1" eval "! kill -0 $2"; }

# ---- setup and cleanup -----------------------------------------------------

TG_PIDS=()          # background processes to stop in the trap
TG_NETNS=()         # namespaces to delete in the trap
TG_TMP=

# proc_start PID: the process's start time (clock ticks since boot), which
# tells a recorded process from a later one that reuses its pid.
proc_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086  # split into fields on purpose
	set -- $s
	printf '%s\n' "${20}"
}

# is_ours PID:START: the process recorded by tg_track is still alive.
is_ours() { [ "$(proc_start "${1%%:*}")" = "${1#*:}" ]; }

tg_cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in "${TG_PIDS[@]}"; do
		is_ours "$p" && kill -TERM "${p%%:*}" 2>/dev/null
	done
	for p in "${TG_PIDS[@]}"; do
		wait_for 3 eval "! is_ours $p" || kill -KILL "${p%%:*}" 2>/dev/null
	done
	# Anything still inside our namespaces was started by this test (a
	# leaked helper, say): stop it by pid, then remove the namespaces.
	for p in "${TG_NETNS[@]}"; do
		lab_kill_all "$p"
		ip netns del "$p" 2>/dev/null
	done
	if [ -n "$TG_TMP" ] && [ -d "$TG_TMP" ]; then
		if [ "${TG_KEEP:-0}" = 1 ]; then
			echo "  (kept $TG_TMP)"
		else
			rm -rf "$TG_TMP"
		fi
	fi
}

# ns_pids NS: pids of the processes in namespace NS.
ns_pids() { ip netns pids "$1" 2>/dev/null; }

# ns_empty NS: no process is in namespace NS.
ns_empty() { [ -z "$(ns_pids "$1")" ]; }

# check_ns_empty NS: a check that no process is left in NS (waits <= 3 s).
check_ns_empty() {
	local p left=
	if wait_for 3 ns_empty "$1"; then
		pass "no process left behind in $1"
		return
	fi
	for p in $(ns_pids "$1"); do
		left="$left [$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)]"
	done
	fail "no process left behind in $1" "${left# }"
}

# lab_kill_all NS: SIGKILL every process in NS (only our tests' processes
# can be in a namespace this test made).
lab_kill_all() {
	local p
	for p in $(ns_pids "$1"); do kill -KILL "$p" 2>/dev/null; done
}

# tg_track PID: stop this process in the cleanup trap if it still runs then
# (pid and start time are recorded, so a reused pid is never signalled).
tg_track() {
	local st
	st=$(proc_start "$1") && TG_PIDS+=("$1:$st")
}

tg_init() {
	TG_AS=${TG_AS:-root}
	TG_BIN=${TG_BIN:-}
	case $TG_AS in root|user) ;; *) echo "TG_AS must be root or user" >&2; exit 1 ;; esac
	[ "$(id -u)" -eq 0 ] || tg_skip_all "needs root to build the lab namespaces"
	[ -n "$TG_BIN" ] || { echo "TG_BIN is not set" >&2; exit 1; }
	case $TG_BIN in /*) ;; *) TG_BIN=$PWD/$TG_BIN ;; esac
	[ -x "$TG_BIN" ] || { echo "$TG_BIN: not an executable file" >&2; exit 1; }
	local t
	for t in ip unshare setpriv timeout mknod; do
		command -v "$t" >/dev/null || tg_skip_all "$t not installed"
	done
	# /root is 0700 here and pyenv shims live under it: use a python3 that
	# nobody can run too.
	PY=/usr/bin/python3
	[ -x "$PY" ] || PY=$(command -v python3) || tg_skip_all "python3 not installed"

	trap 'tg_cleanup' EXIT
	trap 'tg_cleanup; exit 130' INT
	trap 'tg_cleanup; exit 143' TERM
	trap 'tg_cleanup; exit 129' HUP

	# A directory the unprivileged user can write into; labtool.py is copied
	# there so the path is readable by nobody wherever the checkout lives.
	TG_TMP=$(mktemp -d /tmp/tg-e2e.XXXXXX)
	chmod 777 "$TG_TMP"
	cp "$TG_E2E_DIR/labtool.py" "$TG_TMP/labtool.py"
	chmod 644 "$TG_TMP/labtool.py"
	LT=("$PY" "$TG_TMP/labtool.py")

	TG_LAB=tg-lab-$$
	TG_INET=tg-inet-$$
	TG_UID=0 TG_GID=0
	if [ "$TG_AS" = user ]; then TG_UID=$NOBODY_UID TG_GID=$NOBODY_GID; fi
	cd "$TG_TMP" || exit 1
	echo "  [$(basename "$0") as $TG_AS, BIN=$TG_BIN, lab $TG_LAB/$TG_INET]"
}

# n_lab CMD... / n_inet CMD...: run CMD as root in a namespace (bounded).
n_lab()  { timeout -k 2 60 ip netns exec "$TG_LAB" "$@"; }
n_inet() { timeout -k 2 60 ip netns exec "$TG_INET" "$@"; }

# n_lab_nobody CMD...: run CMD as nobody in LAB (no tungate-run).
n_lab_nobody() {
	timeout -k 2 60 ip netns exec "$TG_LAB" \
		setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID --clear-groups \
		env HOME="$TG_TMP" PATH="$USER_PATH" "$@"
}

lab_netns() {
	local ns
	for ns in "$TG_LAB" "$TG_INET"; do
		ip netns add "$ns" || { echo "ip netns add $ns failed" >&2; exit 1; }
		TG_NETNS+=("$ns")
		# run.sh removes what a killed test could not.
		[ -z "${TG_NETNS_LOG:-}" ] || echo "$ns" >>"$TG_NETNS_LOG"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	# Created inside the namespaces: nothing touches the real host's links.
	ip -n "$TG_LAB" link add veth0 type veth peer name veth0 netns "$TG_INET"

	ip -n "$TG_LAB" addr add "$LAB4/24" dev veth0
	ip -n "$TG_LAB" addr add "$LAB6/64" dev veth0 nodad
	ip -n "$TG_LAB" link set veth0 up

	ip -n "$TG_INET" addr add "$NEAR4/24" dev veth0
	ip -n "$TG_INET" addr add "$NEAR6/64" dev veth0 nodad
	ip -n "$TG_INET" addr add "$FAR4/32" dev lo
	ip -n "$TG_INET" addr add "$FAR6/128" dev lo nodad
	ip -n "$TG_INET" link set veth0 up

	ip -n "$TG_LAB" route add "$FAR4/32" via "$NEAR4"
	ip -n "$TG_LAB" -6 route add "$FAR6/128" via "$NEAR6"

	# Permanent neighbour entries both ways: right after the link comes up,
	# the first IPv6 neighbour solicitation went unanswered and the first
	# packet waited 1 s for the retransmission (seen from LAB directly, no
	# tungate involved). Without ARP/NDP no test timing depends on that.
	local lab_mac inet_mac
	lab_mac=$(ip -n "$TG_LAB" -o link show veth0 | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
	inet_mac=$(ip -n "$TG_INET" -o link show veth0 | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
	ip -n "$TG_LAB" neigh replace "$NEAR4" lladdr "$inet_mac" dev veth0 nud permanent
	ip -n "$TG_LAB" neigh replace "$NEAR6" lladdr "$inet_mac" dev veth0 nud permanent
	ip -n "$TG_INET" neigh replace "$LAB4" lladdr "$lab_mac" dev veth0 nud permanent
	ip -n "$TG_INET" neigh replace "$LAB6" lladdr "$lab_mac" dev veth0 nud permanent
}

# start_server NS NAME ARGS...: labtool server in NS, in the background,
# pid tracked, ready file polled.
start_server() {
	local ns=$1 name=$2 ready=$TG_TMP/$2.ready
	shift 2
	timeout -k 2 900 ip netns exec "$ns" "${LT[@]}" serve --ready-file "$ready" \
		"$@" >"$TG_TMP/$name.log" 2>&1 &
	tg_track $!
	if ! wait_for 10 test -e "$ready"; then
		echo "server $name did not become ready:" >&2
		cat "$TG_TMP/$name.log" >&2
		exit 1
	fi
}

# start_dnsmasq NS ADDR PROBE DNSMASQ-ARGS...: a DNS server for the test:
# dnsmasq in NS on ADDR:53 only, no upstream and no /etc/hosts (nothing is
# ever forwarded), answering from DNSMASQ-ARGS (--host-record=...,
# --address=...) and NXDOMAIN for every other name, queries logged to
# $TG_TMP/dnsmasq.log. Returns once PROBE (a name it knows) resolves, at most
# 10 s; pids tracked for the trap.
start_dnsmasq() {
	local ns=$1 addr=$2 probe=$3
	shift 3
	timeout -k 2 900 ip netns exec "$ns" dnsmasq --conf-file=/dev/null \
		--no-resolv --no-hosts --bind-interfaces --listen-address="$addr" \
		--port=53 --keep-in-foreground --pid-file="$TG_TMP/dnsmasq.pid" \
		--log-facility="$TG_TMP/dnsmasq.log" --log-queries \
		"$@" --address=/#/ >"$TG_TMP/dnsmasq.out" 2>&1 &
	tg_track $!
	if ! wait_for 10 timeout -k 1 5 ip netns exec "$ns" "$PY" "$TG_E2E_DIR/dnsq.py" \
			--server "$addr" --timeout 0.3 "a:$probe" >/dev/null; then
		echo "dnsmasq did not answer:" >&2
		cat "$TG_TMP/dnsmasq.out" "$TG_TMP/dnsmasq.log" >&2 2>/dev/null
		exit 1
	fi
	# dnsmasq's own pid too (timeout(1) forwards TERM anyway).
	[ -s "$TG_TMP/dnsmasq.pid" ] && tg_track "$(cat "$TG_TMP/dnsmasq.pid")"
}

lab_up() {
	lab_netns
	start_server "$TG_INET" inet --bind "$NEAR4" --bind "$NEAR6" \
		--bind "$FAR4" --bind "$FAR6" --http $HTTP_PORT --echo $ECHO_PORT \
		--sum $SUM_PORT --source $SOURCE_PORT --udp-echo $UDP_PORT
	start_server "$TG_LAB" loop --bind 127.0.0.1 --bind ::1 \
		--http $LOOP_HTTP_PORT --echo $LOOP_ECHO_PORT --udp-echo $LOOP_UDP_PORT
}

# ---- running tungate-run ---------------------------------------------------

# The argv that runs a command in LAB as the chosen user, with SIGINT/SIGQUIT
# at their defaults (a background job of a script has them ignored, and a
# program inherits that). As "user": a private mount namespace gets its own
# 0666 /dev/net/tun (the real one is 0600 and stays so), then nobody.
#
# With TG_RESOLV set to a file, that file is bind-mounted over
# /etc/resolv.conf in the same private mount namespace, for tungate-run and
# the sandbox alike: the test's own resolver, the machine's file untouched.
# shellcheck disable=SC2054  # the commas are option values, not separators
tg_prefix() {
	local resolv=()
	if [ -n "${TG_RESOLV:-}" ]; then
		resolv=(unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
			"$TG_RESOLV")
	fi
	if [ "$TG_AS" = user ]; then
		TG_PREFIX=("${resolv[@]}"
			unshare -m sh -c 'mount -t tmpfs -o mode=755,size=16k tg-devnet /dev/net &&
			mknod -m 666 /dev/net/tun c 10 200 && exec "$@"' tg-user
			ip netns exec "$TG_LAB"
			setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" --clear-groups
			env --default-signal=INT,QUIT HOME="$TG_TMP" PATH="$USER_PATH")
	else
		TG_PREFIX=("${resolv[@]}" ip netns exec "$TG_LAB" env --default-signal=INT,QUIT)
	fi
}

# Options every tg_run gets first. tungate-run denies by default; tests of
# other features allow everything, policy tests set TG_POLICY_ARGS=().
TG_POLICY_ARGS=(--default allow)

# tg_run ARGS...: run "BIN POLICY-ARGS ARGS..." in LAB (foreground), bounded
# by TG_TIMEOUT seconds (default 60). Returns BIN's status.
tg_run() {
	tg_prefix
	timeout -k 5 "${TG_TIMEOUT:-60}" "${TG_PREFIX[@]}" "$TG_BIN" \
		"${TG_POLICY_ARGS[@]}" "$@"
}

# tg_run_bg PIDFILE ARGS...: like tg_run but in the background. PIDFILE gets
# the pid of tungate-run itself (the shell writes $$ and then execs down the
# chain to BIN, so the pid stays the same). Sets TG_BG (the pid to `wait` on;
# it is timeout(1)'s) and tracks it for the trap.
tg_run_bg() {
	local pidfile=$1
	shift
	tg_prefix
	timeout -k 5 "${TG_TIMEOUT:-60}" sh -c 'echo $$ > "$0"; exec "$@"' "$pidfile" \
		"${TG_PREFIX[@]}" "$TG_BIN" "${TG_POLICY_ARGS[@]}" "$@" &
	TG_BG=$!
	tg_track "$TG_BG"
}

# tg_cmdline ARGS...: the shell-quoted command line of tg_run (for script(1)).
tg_cmdline() {
	tg_prefix
	printf '%q ' "${TG_PREFIX[@]}" "$TG_BIN" "${TG_POLICY_ARGS[@]}" "$@"
}
