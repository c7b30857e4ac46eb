#!/bin/bash
# test_isolation.sh - what the program gets: the invoking uid/gid, no
# capabilities at all (effective, permitted, bounding, ambient), NoNewPrivs;
# a network namespace with only lo and tun0 (10.12.0.2/24, fd12::2/64, MTU
# 65520 or --mtu), default routes via tun0 that it cannot delete or change.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
lab_up
export TG_TIMEOUT=30

# ---- identity
out=$(tg_run -- sh -c 'id -u; id -g' 2>/dev/null | tr '\n' ' ')
check "runs as the invoking uid/gid ($TG_UID/$TG_GID): got ${out:-nothing}" \
	test "$out" = "$TG_UID $TG_GID "
tg_run -- touch "$TG_TMP/made-inside" 2>/dev/null
check "a file it creates belongs to uid $TG_UID on the host" \
	test "$(stat -c %u:%g "$TG_TMP/made-inside" 2>&1)" = "$TG_UID:$TG_GID"

# ---- capabilities, read from /proc/self/status of a process the program
# exec'd (so capabilities regained at exec would show, too)
status=$(tg_run -- cat /proc/self/status 2>/dev/null)
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	v=$(awk -v f="$f:" '$1 == f { print $2 }' <<<"$status")
	check "$f is zero (${v:-missing})" test "$v" = 0000000000000000
done
v=$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$status")
check "NoNewPrivs is 1 (${v:-missing})" test "$v" = 1

# ---- interfaces and addresses
# (A kernel with e.g. the sit module loaded adds its fallback device, down,
# to every new namespace: only interfaces that are up count.)
links=$(tg_run -- ip -o link show 2>/dev/null)
names=$(awk -F': ' '{ print $2 }' <<<"$links" | sed 's/@.*//' | sort | tr '\n' ' ')
up=$(grep '[<,]UP[,>]' <<<"$links" | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
check "lo and tun0 are there, no other interface is up (all: ${names:-none})" \
	test "$up" = "lo tun0 "
addrs=$(tg_run -- ip -o addr show dev tun0 2>/dev/null)
check "tun0 has 10.12.0.2/24" grep -q ' inet 10\.12\.0\.2/24 ' <<<"$addrs"
check "tun0 has fd12::2/64" grep -q ' inet6 fd12::2/64 ' <<<"$addrs"
# (/sys shows LAB's devices, not the sandbox's: ask rtnetlink.)
link_mtu() { sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }
mtu=$(tg_run -- ip -o link show tun0 2>/dev/null | link_mtu)
check "tun0 MTU is 65520 by default (${mtu:-?})" test "$mtu" = 65520
mtu=$(tg_run --mtu 1500 -- ip -o link show tun0 2>/dev/null | link_mtu)
check "--mtu 1500 sets tun0's MTU (${mtu:-?})" test "$mtu" = 1500
want=$("${LT[@]}" genhash $((8 << 20)))
line=$(tg_run --mtu 1500 -- "${LT[@]}" download "$FAR6" $HTTP_PORT --bytes $((8 << 20)) 2>&1 | tail -n 1)
check_sha "--mtu 1500: 8 MiB IPv6 download intact" "$want" "$line"
line=$(tg_run --mtu 1500 -- "${LT[@]}" upload "$FAR4" $HTTP_PORT --bytes $((8 << 20)) 2>&1 | tail -n 1)
check_sha "--mtu 1500: 8 MiB IPv4 upload intact" "$want" "$line"

# ---- routes: there, via tun0, and not removable by the program
cat >"$TG_TMP/routes.sh" <<'PROG'
#!/bin/sh
echo "v4-before: $(ip -4 route show default)"
echo "v6-before: $(ip -6 route show default)"
ip -4 route del default 2>/dev/null && echo "v4-del: succeeded" || echo "v4-del: failed"
ip -6 route del default 2>/dev/null && echo "v6-del: succeeded" || echo "v6-del: failed"
ip link set tun0 down 2>/dev/null && echo "link-down: succeeded" || echo "link-down: failed"
ip -4 route add 203.0.113.0/24 dev lo 2>/dev/null && echo "v4-add: succeeded" || echo "v4-add: failed"
echo "v4-after: $(ip -4 route show default)"
echo "v6-after: $(ip -6 route show default)"
ip -o link show tun0 | grep -q '[<,]UP[,>]' && echo "link-after: up" || echo "link-after: down"
PROG
chmod 755 "$TG_TMP/routes.sh"
out=$(tg_run -- "$TG_TMP/routes.sh" 2>&1)
get() { sed -n "s/^$1: //p" <<<"$out"; }
check "IPv4 default route via tun0" grep -q 'dev tun0' <<<"$(get v4-before)"
check "IPv6 default route via tun0" grep -q 'dev tun0' <<<"$(get v6-before)"
check "ip route del default fails" test "$(get v4-del)" = failed
check "ip -6 route del default fails" test "$(get v6-del)" = failed
check "ip link set tun0 down fails" test "$(get link-down)" = failed
check "ip route add fails" test "$(get v4-add)" = failed
check "IPv4 default route still there afterwards" test "$(get v4-after)" = "$(get v4-before)" -a -n "$(get v4-after)"
check "IPv6 default route still there afterwards" test "$(get v6-after)" = "$(get v6-before)" -a -n "$(get v6-after)"
check "tun0 still up afterwards" test "$(get link-after)" = up

tg_finish
