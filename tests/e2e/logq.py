#!/usr/bin/python3
"""logq.py - check records of tungate-run's --log file (JSON lines).

   logq.py FILE count N           exactly N records
   logq.py FILE SEL... -- WANT...  exactly one record matches every SEL, and
                                  it satisfies every WANT (printed on success)

SEL and WANT are KEY=VALUE (string form: null, 12, text), KEY!=VALUE, KEY<N,
KEY>=N, and the words "keys" (exactly the documented fields) and "ts" (RFC
3339 UTC with milliseconds, within 5 minutes of now). Runs outside the
sandbox; used by test_policy_log.sh and test_loopback.sh.
"""
import datetime, json, re, sys

KEYS = {"ts", "proto", "src", "dst", "host", "host_source", "scope", "verdict", "rule",
        "bytes_out", "bytes_in", "duration_ms", "end"}

def text(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

def holds(r, w):
    if w == "keys":     # dns_host appears only where there is a mismatch
        return set(r) - {"dns_host"} == KEYS
    if w == "ts":
        ts = r.get("ts")
        if not isinstance(ts, str) or not re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts):
            return False
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc)
        return abs((datetime.datetime.now(datetime.timezone.utc) - t)
                   .total_seconds()) < 300
    k, op, v = re.fullmatch(r"([a-z_]+)(!=|>=|=|<)(.*)", w).groups()
    if k not in r and k != "dns_host":
        return False
    if op == "=":
        return text(r.get(k)) == v
    if op == "!=":
        return text(r.get(k)) != v
    if not isinstance(r[k], int) or isinstance(r[k], bool):
        return False
    return r[k] < int(v) if op == "<" else r[k] >= int(v)

lines = open(sys.argv[1]).read().splitlines()
recs = []
for n, line in enumerate(lines, 1):
    try:
        rec = json.loads(line)
    except ValueError:
        sys.exit("line %d is not JSON: %r" % (n, line[:200]))
    if not isinstance(rec, dict):
        sys.exit("line %d is not an object" % n)
    recs.append(rec)
args = sys.argv[2:]
if args[0] == "count":
    if len(recs) != int(args[1]):
        sys.exit("%d records, want %s: %s" % (len(recs), args[1], lines))
    sys.exit(0)
i = args.index("--")
sel = [r for r in recs if all(holds(r, w) for w in args[:i])]
if len(sel) != 1:
    sys.exit("%d records match %s, want 1; all: %s" % (len(sel), args[:i], lines))
bad = [w for w in args[i + 1:] if not holds(sel[0], w)]
if bad:
    sys.exit("not %s in %s" % (bad, json.dumps(sel[0])))
print(json.dumps(sel[0]))
