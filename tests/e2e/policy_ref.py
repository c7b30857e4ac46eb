"""policy_ref.py - random policies and flows for test_policy.sh, and the
first-match reference they are judged by.

  policy_ref.py gen SEED DIR
      writes DIR/opts (tungate-run options, one argv word a line; some of
      the rules are in a --policy file, DIR/rules.policy, where the option
      stands) and DIR/specs (labtool probe specs, one a line)
  policy_ref.py check SEED DIR LOG
      every spec has exactly one record in the --log file LOG, and its
      verdict and rule are what first match predicts; prints the
      mismatches and exits 1 if there are any

Semantics modelled (README, policy.h): rules in order, first match wins,
then the default (deny unless --default allow); tcp:/udp: restrict the
protocol, PORTS the destination port; an address or prefix matches by
destination address (same family); "*" matches everything; "host" the
gateway addresses 10.12.0.1 and fd12::1; "loopback" nothing that reaches
the gateway. The rules never name a gateway address, so that an address
rule's meaning for those is not assumed here.

Only lab addresses: 203.0.113.0/24, 198.51.100.2, 2001:db8::/32 and the
gateway addresses (the sandbox's view of LAB's loopback).
"""
import ipaddress
import json
import os
import random
import sys

HOSTS = ["203.0.113.10", "203.0.113.0/24", "203.0.113.8/29", "203.0.113.8/30",
         "203.0.113.10/31", "203.0.113.12/30", "203.0.113.0/28",
         "203.0.113.0/25", "203.0.113.128/25", "198.51.100.2",
         "198.51.100.0/24", "203.0.0.0/16",
         "[2001:db8:2::10]", "[2001:db8:2::/64]", "[2001:db8::/32]",
         "[2001:db8:2::10/124]", "[2001:db8:2::/124]", "[2001:db8:2::20/123]",
         "[2001:db8:1::2]", "[2001:db8:1::/64]",
         "*", "host", "loopback"]
PROTOS = ["", "", "tcp:", "udp:"]
PORTS = ["", "", ":*", ":7007", ":9100", ":9100-9200", ":9099-9100",
         ":9200-65535", ":1-9099", ":65535", ":1"]
DSTS = ["203.0.113.10", "203.0.113.9", "203.0.113.11", "203.0.113.12",
        "203.0.113.130", "198.51.100.2", "10.12.0.1",
        "2001:db8:2::10", "2001:db8:2::1f", "2001:db8:2::20", "2001:db8:2::3",
        "2001:db8:1::2", "fd12::1"]
DPORTS = [7007, 9099, 9100, 9150, 9200, 9201, 65535, 1]
GATEWAYS = {"10.12.0.1", "fd12::1"}
N_RULES, N_FLOWS = 24, 28


def generate(seed):
    rnd = random.Random(seed)
    rules, seen = [], set()
    while len(rules) < N_RULES:
        host = rnd.choice(HOSTS)
        port = rnd.choice(PORTS)
        text = rnd.choice(PROTOS) + host + port
        if text in seen:
            continue
        seen.add(text)
        rules.append((rnd.choice(["allow", "deny"]), text))
    default = rnd.choice([None, "allow", "deny"])
    flows, fseen = [], set()
    while len(flows) < N_FLOWS:
        f = (rnd.choice(["tcp", "udp"]), rnd.choice(DSTS), rnd.choice(DPORTS))
        if f not in fseen:
            fseen.add(f)
            flows.append(f)
    # Rules a..b go into a policy file, where the option stands.
    a = rnd.randrange(0, N_RULES)
    b = rnd.randrange(a, N_RULES + 1)
    return rules, default, flows, (a, b), rnd


def parse(text):
    proto = None
    if text.startswith(("tcp:", "udp:")):
        proto, text = text[:3], text[4:]
    lo, hi = 0, 65535
    if text.startswith("["):
        end = text.index("]")
        host, rest = text[1:end], text[end + 1:]
    else:
        host, _, p = text.partition(":")
        rest = ":" + p if p else ""
    if rest and rest != ":*":
        p = rest[1:]
        lo, _, h = p.partition("-")
        lo, hi = int(lo), int(h or lo)
    return proto, host, lo, hi


def matches(text, proto, dst, port):
    rproto, host, lo, hi = parse(text)
    if rproto and rproto != proto or not lo <= port <= hi:
        return False
    if host == "*":
        return True
    if host == "host":
        return dst in GATEWAYS
    if host == "loopback":          # the sandbox's own: never via the gateway
        return False
    net = ipaddress.ip_network(host)
    addr = ipaddress.ip_address(dst)
    return addr.version == net.version and addr in net


def expect(rules, default, proto, dst, port):
    for action, text in rules:
        if matches(text, proto, dst, port):
            return action, "%s %s" % (action, text)
    return (default or "deny"), "default"


def spec(f):
    proto, dst, port = f
    return "%s:%s:%d" % (proto, "[%s]" % dst if ":" in dst else dst, port)


def endpoint(dst, port):
    return "%s:%d" % ("[%s]" % dst if ":" in dst else dst, port)


def cmd_gen(seed, d):
    rules, default, flows, (a, b), rnd = generate(seed)
    opts = []
    for i, (action, text) in enumerate(rules):
        if i == a and a < b:
            opts += ["--policy", os.path.join(d, "rules.policy")]
        if a <= i < b:
            continue
        opts += ["--" + action, text]
    if default:
        at = rnd.randrange(0, len(opts) // 2 + 1) * 2
        opts[at:at] = ["--default", default]
    with open(os.path.join(d, "rules.policy"), "w") as f:
        f.write("# rules %d-%d of seed %d\n\n" % (a + 1, b, seed))
        for action, text in rules[a:b]:
            f.write("%s %s   # rule\n" % (action, text))
    os.chmod(os.path.join(d, "rules.policy"), 0o644)
    with open(os.path.join(d, "opts"), "w") as f:
        f.write("".join(o + "\n" for o in opts))
    with open(os.path.join(d, "specs"), "w") as f:
        f.write("".join(spec(fl) + "\n" for fl in flows))


def cmd_check(seed, d, log):
    rules, default, flows, _, _ = generate(seed)
    recs = [json.loads(line) for line in open(log) if line.strip()]
    bad = []
    for proto, dst, port in flows:
        want = expect(rules, default, proto, dst, port)
        got = [(r.get("verdict"), r.get("rule")) for r in recs
               if r.get("proto") == proto and r.get("dst") == endpoint(dst, port)]
        if got != [want]:
            bad.append("%s: got %s, want %s" % (spec((proto, dst, port)), got, want))
    allowed = sum(1 for f in flows if expect(rules, default, *f)[0] == "allow")
    if bad:
        print("seed %d: %d of %d flows wrong: %s" % (seed, len(bad), len(flows),
                                                     "; ".join(bad)))
        return 1
    print("seed %d: %d flows (%d allowed), %d rules" % (seed, len(flows), allowed,
                                                        len(rules)))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        cmd_gen(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(cmd_check(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
