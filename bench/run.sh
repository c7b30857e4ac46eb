#!/bin/bash
# run.sh - `make bench`: single-stream TCP throughput through tungate-run,
# side by side with the kernel's own paths, measured in one run.
#
#   bench/run.sh BIN            (QUICK=1: one repetition of 2 s)
#
# Runners (each runs `iperf3 -c SERVER` against an iperf3 server on the
# host's loopback):
#   direct     the client on the host itself, to 127.0.0.1
#   veth       the client in a network namespace joined to the host by a
#              veth pair (the kernel path a sandbox could have); needs root
#   tungate    the client inside tungate-run, to 10.12.0.1 (= 127.0.0.1)
# Metrics: upload (client sends) and download (-R), iperf3 -t 5, median of
# 3 repetitions. The machine is noisy: compare the ratios of one run, not
# absolute figures across runs. Results also go to build/bench/iperf.json.
set -u

bin=${1:?usage: $0 path/to/tungate-run}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../build/bench
mkdir -p "$out"
reps=3 secs=5
[ "${QUICK:-0}" = 1 ] && reps=1 secs=2
command -v iperf3 >/dev/null || { echo "bench: iperf3 is not installed (make deps)" >&2; exit 1; }

port=$((20000 + RANDOM % 20000))
ns=tg-bench-$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

iperf3 -s -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
pids+=($!)
# The veth runner's server address: the host end of the pair.
have_veth=0
if [ "$(id -u)" -eq 0 ] && ip netns add "$ns" 2>/dev/null; then
	# The host end goes away with the namespace (veth pairs die together).
	ip link add "tgb$$" type veth peer name tgb1 netns "$ns" &&
	ip addr add 198.51.100.1/24 dev "tgb$$" && ip link set "tgb$$" up &&
	ip -n "$ns" addr add 198.51.100.2/24 dev tgb1 &&
	ip -n "$ns" link set tgb1 up && ip -n "$ns" link set lo up &&
	have_veth=1
	iperf3 -s -B 198.51.100.1 -p "$port" >/dev/null 2>&1 &
	pids+=($!)
fi
# Wait until the server listens (a connect attempt, at most 5 s).
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

# iperf_gbps CMD...: run iperf3 (args appended) and print Gbit/s received.
iperf_gbps() {
	timeout 60 "$@" -J 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys
try:
    d = json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("nan")'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A result
measure() {	# measure NAME DIRECTION CMD...
	local name=$1 dir=$2 r vals=()
	shift 2
	for r in $(seq "$reps"); do
		if [ "$dir" = down ]; then vals+=("$(iperf_gbps "$@" -R)"); else vals+=("$(iperf_gbps "$@")"); fi
	done
	result[$name.$dir]=$(median "${vals[@]}")
	printf '  %-8s %-4s %s Gbit/s  (runs: %s)\n' "$name" "$dir" "${result[$name.$dir]}" "${vals[*]}"
}

echo "bench: iperf3 single stream, ${secs}s x $reps, server on the host's loopback"
for d in up down; do
	measure direct "$d" iperf3 -c 127.0.0.1 -p "$port" -t "$secs"
	[ $have_veth = 1 ] && measure veth "$d" ip netns exec "$ns" iperf3 -c 198.51.100.1 -p "$port" -t "$secs"
	measure tungate "$d" "$bin" -q --allow host -- iperf3 -c 10.12.0.1 -p "$port" -t "$secs"
done

echo
printf '%-10s %12s %12s %14s %14s\n' runner "up Gbit/s" "down Gbit/s" "up vs veth" "down vs veth"
for n in direct veth tungate; do
	[ -n "${result[$n.up]:-}" ] || continue
	ru=- rd=-
	if [ $have_veth = 1 ]; then
		ru=$(awk -v a="${result[$n.up]}" -v b="${result[veth.up]}" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }')
		rd=$(awk -v a="${result[$n.down]}" -v b="${result[veth.down]}" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }')
	fi
	printf '%-10s %12s %12s %14s %14s\n' "$n" "${result[$n.up]}" "${result[$n.down]}" "$ru" "$rd"
done
{
	printf '{"date":"%s","kernel":"%s","nproc":%s,"secs":%s,"reps":%s,"gbps":{' \
		"$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)" "$secs" "$reps"
	first=1
	for k in "${!result[@]}"; do
		[ $first = 1 ] || printf ','
		first=0
		printf '"%s":%s' "$k" "${result[$k]}"
	done
	printf '}}\n'
} >"$out/iperf.json"
echo "bench: results in $out/iperf.json"
