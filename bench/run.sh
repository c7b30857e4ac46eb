#!/bin/bash
# run.sh - `make bench`: tungate-run side by side with the kernel's own path
# and the other userspace gateways, measured in ONE run, so that ratios mean
# something on a noisy machine (absolute figures across runs do not).
#
#   bench/run.sh BIN            QUICK=1: one short repetition of each
#
# Everything runs inside namespaces made here, never on the machine's own
# network: BH stands in for "the host" (servers on its loopback, a veth to
# BC for the kernel-path runner; BC answers nothing), and each runner puts
# its client where that runner puts programs:
#
#   direct    in BH itself, to 127.0.0.1
#   veth      in BC, joined to BH by a veth pair, to 198.51.100.1 (the
#             kernel path a sandbox could have)
#   slirp65k  slirp4netns --mtu 65520, to 10.0.2.2 (its host loopback)
#   slirp1500 slirp4netns --mtu 1500
#   pasta     pasta --config-net (MTU 65520), to 198.51.100.2 (its gateway
#             address, mapped to the host's loopback)
#   tungate   tungate-run --allow host, to 10.12.0.1 (the host's loopback)
#
# The userspace runners run as nobody, as they would for a user (a private
# 0666 /dev/net/tun node in a private mount namespace, as the tests do).
# A runner that is not installed is skipped with a note.
#
# Metrics: iperf3 single stream up and down (-t 5, median of 3), 4 streams
# (-P 4), short HTTP connections per second and TCP/UDP 1-byte round-trip
# p50/p99 (bench/tgbench.c), startup overhead (RUNNER true, minus true),
# gateway RSS per idle TCP flow at 1,000 and 10,000 flows, gateway CPU
# seconds per GB moved. Output: a table on stdout, build/bench/results.json,
# and build/bench/throughput.png when gnuplot is installed.
set -u

bin=${1:?usage: $0 path/to/tungate-run}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "$here/../build/bench")
mkdir -p "$out"
quick=${QUICK:-0}
reps=3 secs=5 rate_s=3 rr_n=5000 start_n=15
[ "$quick" = 1 ] && reps=1 secs=2 rate_s=1 rr_n=2000 start_n=7
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces for the lab)" >&2; exit 1; }
for t in iperf3 ip unshare setpriv; do
	command -v "$t" >/dev/null || { echo "bench: $t is not installed (make deps)" >&2; exit 1; }
done

# ---- lab -----------------------------------------------------------------

BH=tg-bench-h-$$ BC=tg-bench-c-$$
tmp=$(mktemp -d /tmp/tg-bench.XXXXXX)
chmod 777 "$tmp"		# the runners write their pid files as nobody
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$BH" 2>/dev/null
	ip netns del "$BC" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$BH" && ip netns add "$BC" || exit 1
ip -n "$BH" link set lo up
ip -n "$BC" link set lo up
ip -n "$BH" link add veth0 type veth peer name veth0 netns "$BC"
ip -n "$BH" addr add 198.51.100.1/24 dev veth0
ip -n "$BC" addr add 198.51.100.2/24 dev veth0
ip -n "$BH" link set veth0 up
ip -n "$BC" link set veth0 up
# pasta copies the host's default route: its gateway address is mapped to
# the host's loopback, so nothing is ever sent to BC by it.
ip -n "$BH" route add default via 198.51.100.2
ip netns exec "$BH" sysctl -qw net.ipv4.ping_group_range="0 0" 2>/dev/null

# The client programs must be readable by nobody wherever the tree lives.
cc=${CC:-gcc}
$cc -D_GNU_SOURCE -std=gnu11 -O2 -Wall -Wextra -o "$tmp/tgbench" "$here/tgbench.c" ||
	{ echo "bench: building tgbench failed" >&2; exit 1; }
cp "$bin" "$tmp/tungate-run"
chmod 755 "$tmp/tgbench" "$tmp/tungate-run"
TGB=$tmp/tgbench
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

iport=5201 tport=8088
ip netns exec "$BH" iperf3 -s -p $iport >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$BH" "$TGB" serve 0.0.0.0 $tport >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	grep -q ready "$tmp/serve.log" 2>/dev/null &&
		ip netns exec "$BH" bash -c "exec 3<>/dev/tcp/127.0.0.1/$iport" 2>/dev/null && break
	sleep 0.1
done

# ---- runners ---------------------------------------------------------------

# As nobody in BH, with a tun node nobody may open (the real one stays 0600).
AS_USER=(unshare -m sh -c 'mount -t tmpfs -o mode=755,size=16k tg-devnet /dev/net &&
	mknod -m 666 /dev/net/tun c 10 200 && exec "$@"' tg-user
	ip netns exec "$BH" setpriv --reuid=65534 --regid=65534 --clear-groups
	env HOME="$tmp" PATH=/usr/sbin:/usr/bin:/sbin:/bin)

runners=(direct veth)
# Each runner's name for the host's loopback. 10.0.2.2 exists only inside
# slirp4netns' namespace, where slirp4netns answers it from BH's 127.0.0.1;
# pasta maps its gateway address, 198.51.100.2, to BH's loopback the same
# way: no packet to either leaves the namespaces made here.
declare -A addr=([direct]=127.0.0.1 [veth]=198.51.100.1 [slirp65k]=10.0.2.2
	[slirp1500]=10.0.2.2 [pasta]=198.51.100.2 [tungate]=10.12.0.1)
declare -A note=()
if command -v slirp4netns >/dev/null; then
	runners+=(slirp65k slirp1500)
else
	note[slirp]="slirp4netns not installed: skipped (apt-get install slirp4netns)"
fi
if command -v pasta >/dev/null; then
	runners+=(pasta)
else
	note[pasta]="pasta not installed: skipped (apt-get install passt)"
fi
runners+=(tungate)

# slirp_run MTU CMD...: CMD in a new user+net namespace served by
# slirp4netns; the gateway's pid is written to $tmp/gw.pid.
slirp_run() {
	local mtu=$1
	shift
	"${AS_USER[@]}" sh -c '
		mtu=$1 tmp=$2; shift 2
		unshare --user --map-root-user --net sh -c "
			i=0; while [ \$i -lt 200 ] && ! ip -4 addr show tap0 2>/dev/null | grep -q 10.0.2; do
				sleep 0.02; i=\$((i + 1)); done
			exec \"\$@\"" sh "$@" &
		c=$!
		i=0; while [ $i -lt 100 ] && [ ! -e /proc/$c/ns/net ]; do sleep 0.01; i=$((i + 1)); done
		slirp4netns --configure --mtu="$mtu" --disable-dns "$c" tap0 >/dev/null 2>&1 &
		s=$!
		echo $s >"$tmp/gw.pid"
		wait $c; rc=$?
		kill $s 2>/dev/null; wait $s 2>/dev/null
		exit $rc' sh "$mtu" "$tmp" "$@"
}

# run_in RUNNER CMD...: CMD where RUNNER puts programs. For the userspace
# runners $tmp/gw.pid gets the gateway's pid while CMD runs.
run_in() {
	local r=$1
	shift
	rm -f "$tmp/gw.pid"
	case $r in
	direct) ip netns exec "$BH" "$@" ;;
	veth) ip netns exec "$BC" "$@" ;;
	slirp65k) slirp_run 65520 "$@" ;;
	slirp1500) slirp_run 1500 "$@" ;;
	pasta) "${AS_USER[@]}" sh -c 'echo $$ >"$0/gw.pid"; exec pasta --config-net -q -- "$@"' \
		"$tmp" "$@" 2>/dev/null ;;
	tungate) "${AS_USER[@]}" sh -c 'echo $$ >"$0/gw.pid"; exec "$0/tungate-run" -q --allow host -- "$@"' \
		"$tmp" "$@" ;;
	esac
}

# ---- measurements ----------------------------------------------------------

declare -A res=()
median() { printf '%s\n' "$@" | grep -v '^nan$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# iperf_gbps RUNNER ARGS...: Gbit/s received in one iperf3 run.
iperf_gbps() {
	local r=$1
	shift
	run_in "$r" timeout 60 iperf3 -c "${addr[$r]}" -p $iport "$@" -J 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys
try:
    d = json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("nan")'
}

bulk() {	# bulk RUNNER KEY REPS ARGS...
	local r=$1 k=$2 n=$3 i vals=()
	shift 3
	for i in $(seq "$n"); do vals+=("$(iperf_gbps "$r" "$@")"); done
	res[$r.$k]=$(median "${vals[@]}")
	printf '  %-9s %-8s %6s Gbit/s  (%s)\n' "$r" "$k" "${res[$r.$k]}" "${vals[*]}"
}

# cpu_ticks PID: utime + stime of PID (all its threads)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo nan; }

# cpu_per_gb RUNNER: gateway CPU seconds per GB moved, one upload and one
# download of $secs each, the gateway's CPU read while the client finishes.
cpu_per_gb() {
	local r=$1 dir t0 t1 bytes=0 ticks=0 hz gw
	hz=$(getconf CLK_TCK)
	for dir in "" -R; do
		rm -f "$tmp/cpu.json" "$tmp/cpu.done"
		run_in "$r" sh -c 'timeout 60 iperf3 -c "$1" -p "$2" -t "$3" $4 -J >"$5/cpu.json" 2>/dev/null
			touch "$5/cpu.done"; sleep 0.5' sh "${addr[$r]}" $iport "$secs" "$dir" "$tmp" &
		local job=$!
		sleep 0.3
		gw=$(cat "$tmp/gw.pid" 2>/dev/null)
		t0=$(cpu_ticks "$gw")
		for _ in $(seq $((secs * 20 + 200))); do [ -e "$tmp/cpu.done" ] && break; sleep 0.05; done
		t1=$(cpu_ticks "$gw")
		wait $job
		bytes=$(/usr/bin/python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"] + int(sys.argv[2]))
except Exception:
    print(sys.argv[2])' "$tmp/cpu.json" "$bytes")
		ticks=$(awk -v a="$t0" -v b="$t1" -v s="$ticks" 'BEGIN { print (a == "nan" || b == "nan") ? "nan" : s + b - a }')
	done
	res[$r.cpu_s_per_gb]=$(awk -v t="$ticks" -v hz="$hz" -v b="$bytes" \
		'BEGIN { print (t == "nan" || b == 0) ? "nan" : sprintf("%.2f", t / hz / (b / 1e9)) }')
	printf '  %-9s cpu      %6s s/GB\n' "$r" "${res[$r.cpu_s_per_gb]}"
}

# startup RUNNER: median wall time of `RUNNER true`, in ms
startup_ms() {
	local r=$1 i t0 vals=()
	for i in $(seq "$start_n"); do
		t0=$(date +%s%N)
		case $r in
		none) ip netns exec "$BH" true ;;
		user) "${AS_USER[@]}" true ;;
		*) run_in "$r" true ;;
		esac
		vals+=("$(( ($(date +%s%N) - t0) / 1000 ))")
	done
	awk -v m="$(median "${vals[@]}")" 'BEGIN { printf "%.1f", m / 1000 }'
}

# rss_per_flow RUNNER N: gateway RSS growth per idle TCP flow, KiB, with N
# flows held open against 1 held open.
rss_kib() {	# rss_kib RUNNER N: the gateway's RSS (KiB) with N idle flows
	local r=$1 n=$2 rss=nan gw
	rm -f "$tmp/hold.out" "$tmp/hold.stop"
	run_in "$r" timeout 90 "$TGB" hold "${addr[$r]}" $tport "$n" 60 "$tmp/hold.stop" \
		>"$tmp/hold.out" 2>/dev/null &
	local job=$!
	for _ in $(seq 1200); do grep -q held= "$tmp/hold.out" 2>/dev/null && break; sleep 0.05; done
	gw=$(cat "$tmp/gw.pid" 2>/dev/null)
	if [ "$(kv held <"$tmp/hold.out")" = "$n" ] && [ -n "$gw" ]; then
		sleep 0.3
		# The gateway process: slirp4netns, pasta, tungate-run.
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$gw/status" 2>/dev/null || echo nan)
	fi
	touch "$tmp/hold.stop"		# tgbench hold ends, and its runner
	wait "$job" 2>/dev/null
	echo "$rss"
}

rss_per_flow() {
	local r=$1 n=$2 base big
	base=$(rss_kib "$r" 1)
	big=$(rss_kib "$r" "$n")
	res[$r.rss_kib_per_flow_$n]=$(awk -v a="$base" -v b="$big" -v n="$n" \
		'BEGIN { print (a == "nan" || b == "nan" || a == "" || b == "") ? "nan" : sprintf("%.2f", (b - a) / (n - 1)) }')
	printf '  %-9s rss/flow %6s KiB at %d flows (%s -> %s KiB)\n' "$r" \
		"${res[$r.rss_kib_per_flow_$n]}" "$n" "$base" "$big"
}

echo "bench: $(date -u +%FT%TZ), $(uname -r), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "bench: iperf3 ${secs}s x $reps (median), servers on the host's loopback"
for n in "${!note[@]}"; do echo "bench: ${note[$n]}"; done
# What `RUNNER true` costs beyond starting `true` the same way (as root in
# BH, or as nobody through the same unshare/setpriv chain).
base_ms=$(startup_ms none)
base_user_ms=$(startup_ms user)
for r in "${runners[@]}"; do
	bulk "$r" up "$reps" -t "$secs"
	bulk "$r" down "$reps" -t "$secs" -R
	bulk "$r" up4 1 -t "$secs" -P 4
	bulk "$r" down4 1 -t "$secs" -P 4 -R
	l=$(run_in "$r" "$TGB" rate "${addr[$r]}" $tport "$rate_s" 2>/dev/null)
	res[$r.conns_per_s]=$(kv conns_per_s <<<"$l")
	printf '  %-9s conn/s   %6s\n' "$r" "${res[$r.conns_per_s]:-nan}"
	for p in tcp udp; do
		l=$(run_in "$r" "$TGB" rr $p "${addr[$r]}" $tport "$rr_n" 2>/dev/null)
		res[$r.${p}_p50_us]=$(kv p50_us <<<"$l")
		res[$r.${p}_p99_us]=$(kv p99_us <<<"$l")
		printf '  %-9s %s rr   p50 %s us, p99 %s us\n' "$r" "$p" \
			"${res[$r.${p}_p50_us]:-nan}" "${res[$r.${p}_p99_us]:-nan}"
	done
	b=$base_user_ms
	case $r in direct|veth) b=$base_ms ;; esac
	res[$r.startup_ms]=$(awk -v a="$(startup_ms "$r")" -v b="$b" 'BEGIN { printf "%.1f", a - b }')
	printf '  %-9s startup  %6s ms over `true`\n' "$r" "${res[$r.startup_ms]}"
	case $r in
	direct|veth) ;;
	*)
		cpu_per_gb "$r"
		rss_per_flow "$r" 1000
		[ "$quick" = 1 ] || rss_per_flow "$r" 10000
		;;
	esac
done

# ---- report ----------------------------------------------------------------

val() { local v=${res[$1]:-nan}; echo "${v:-nan}"; }
ratio() {	# ratio A B: A/B as "1.23x", or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2fx", a / b }'
}
echo
printf '%-10s %7s %7s %7s %7s %8s %8s %8s %8s %8s %8s %9s\n' runner up down "up x4" "down x4" conn/s \
	"tcp p50" "tcp p99" "udp p50" "start ms" "CPU s/GB" "KiB/flow"
for r in "${runners[@]}"; do
	printf '%-10s %7s %7s %7s %7s %8s %8s %8s %8s %8s %8s %9s\n' "$r" "$(val "$r.up")" "$(val "$r.down")" \
		"$(val "$r.up4")" "$(val "$r.down4")" "$(val "$r.conns_per_s")" "$(val "$r.tcp_p50_us")" \
		"$(val "$r.tcp_p99_us")" "$(val "$r.udp_p50_us")" "$(val "$r.startup_ms")" \
		"$(val "$r.cpu_s_per_gb")" "$(val "$r.rss_kib_per_flow_10000")"
done
echo "(Gbit/s; latency in us, 1-byte round trips; KiB/flow: gateway RSS per idle TCP flow at 10,000 flows)"
echo
echo "tungate against the others (ratio of the same metric in this run; > 1 is better for tungate,"
echo "latency and startup inverted):"
printf '%-10s %7s %7s %7s %7s %8s %8s\n' vs up down "up x4" "down x4" conn/s "tcp p50"
for r in "${runners[@]}"; do
	[ "$r" = tungate ] && continue
	printf '%-10s %7s %7s %7s %7s %8s %8s\n' "$r" \
		"$(ratio "$(val tungate.up)" "$(val "$r.up")")" "$(ratio "$(val tungate.down)" "$(val "$r.down")")" \
		"$(ratio "$(val tungate.up4)" "$(val "$r.up4")")" "$(ratio "$(val tungate.down4)" "$(val "$r.down4")")" \
		"$(ratio "$(val tungate.conns_per_s)" "$(val "$r.conns_per_s")")" \
		"$(ratio "$(val "$r.tcp_p50_us")" "$(val tungate.tcp_p50_us)")"
done

{
	printf '{"date":"%s","kernel":"%s","nproc":%s,"cpu":"%s","quick":%s,"secs":%s,"reps":%s,"runners":[' \
		"$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)" \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/"//g')" \
		"$quick" "$secs" "$reps"
	first=1
	for r in "${runners[@]}"; do
		[ $first = 1 ] || printf ','
		first=0
		printf '"%s"' "$r"
	done
	printf '],"results":{'
	first=1
	for k in $(printf '%s\n' "${!res[@]}" | sort); do
		[ $first = 1 ] || printf ','
		first=0
		v=${res[$k]:-nan}
		case $v in ''|nan) v=null ;; esac
		printf '"%s":%s' "$k" "$v"
	done
	printf '}}\n'
} >"$out/results.json"
echo
echo "bench: results in $out/results.json"

if command -v gnuplot >/dev/null; then
	for r in "${runners[@]}"; do
		printf '%s %s %s\n' "$r" "$(val "$r.up" | sed 's/nan/0/')" "$(val "$r.down" | sed 's/nan/0/')"
	done >"$tmp/tp.dat"
	gnuplot <<EOF 2>/dev/null && echo "bench: chart in $out/throughput.png"
set terminal pngcairo size 900,480 font ",11"
set output "$out/throughput.png"
set title "Single-stream TCP to the host's loopback, iperf3 ${secs}s (median of $reps)\n$(date -u +%F), $(nproc) cores, $(uname -r)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set ylabel "Gbit/s"
set yrange [0:*]
set grid ytics
set key top right
plot "$tmp/tp.dat" using 2:xtic(1) title "up", "" using 3 title "down"
EOF
else
	echo "bench: gnuplot not installed: no chart (apt-get install gnuplot-nox)"
fi
