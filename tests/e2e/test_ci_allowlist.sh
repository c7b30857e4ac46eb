#!/bin/bash
# test_ci_allowlist.sh - the README's "CI: an allowlist by names" example, in
# the lab, as root and as nobody. A CI job clones a git repository over HTTP,
# installs a package with pip from a mirror and fetches a page with curl,
# under a policy file that allows three names and nothing else:
#
#   allow tcp:git.lab.test:80
#   allow tcp:pypi.lab.test:80
#   allow tcp:www.lab.test:80
#
# The lab: dnsmasq in LAB on 127.0.0.1:53 (the host's resolver; the test's
# own resolv.conf, "nameserver 127.0.0.1", is bind-mounted over
# /etc/resolv.conf for tungate-run and the sandbox) gives each of the three
# names an IPv4 and an IPv6 address of its own in INET (git.lab.test FAR4
# and FAR6, pypi.lab.test .11, www.lab.test .12; added to INET's lo here),
# evil.lab.test NEAR4, and NXDOMAIN for everything else. One HTTP server in
# INET (python3 -m http.server on [::]:80, so on every INET address, NEAR4
# included: a flow to evil.lab.test that got through would be answered)
# serves all three names from one directory: a bare git repository for the
# dumb HTTP protocol, a PEP 503 "simple" index with one hand-made wheel, and
# an index.html. No rule is given for DNS: the gateway serves the sandbox's
# queries to 127.0.0.1 itself.
#
# Why an address per name: with all three names on one address, the gateway
# cannot tell from DNS which of them a connection is for; the first rule
# whose name the address stands for decides and names the flow (every flow
# was logged host=git.lab.test, pip's and curl's included).
#
#   - the job works: the clone has the committed file, the wheel is
#     installed and imports, curl got the page, the server saw the requests;
#     exit 0 under --fail-on-deny; the log has each name's TCP flows to its
#     own address with host=NAME host_source=dns verdict=allow and the
#     name's rule, and no denial;
#   - the same job plus `curl http://evil.lab.test/ || true`: curl cannot
#     resolve the name (the gateway answers NXDOMAIN: no rule could allow
#     it, and the query never reaches the host's resolver), tungate-run
#     exits 123, stderr has a "tungate: denied" line naming evil.lab.test,
#     the log a denied DNS query with host=evil.lab.test;
#   - a job whose own command fails keeps its own status (curl's 6), not 123.
# shellcheck disable=SC2317  # functions run through check
# shellcheck disable=SC2016  # checks are `eval 'CODE'`: expanded when run
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
tg_init
command -v dnsmasq >/dev/null ||
	tg_skip_all "dnsmasq not installed (build-aux/deps.sh installs dnsmasq-base)"
for t in git curl; do
	command -v "$t" >/dev/null || tg_skip_all "$t not installed (build-aux/deps.sh installs it)"
done
"$PY" -m pip --version >/dev/null 2>&1 ||
	tg_skip_all "pip not installed for $PY (build-aux/deps.sh installs python3-pip)"
lab_up
export TG_TIMEOUT=40
TG_POLICY_ARGS=()       # tungate-run's own default (deny) applies

cp "$TG_E2E_DIR/dnsq.py" "$TG_TMP/dnsq.py"
chmod 644 "$TG_TMP/dnsq.py"
DQ=("$PY" "$TG_TMP/dnsq.py")

# logall FILE SEL... -- WANT...: at least one --log record matches every SEL,
# and every one of them satisfies every WANT (KEY=VALUE, KEY!=VALUE,
# KEY~REGEX matching the whole value; null for JSON null). Prints how many
# matched. (logq.py wants exactly one record; http.server speaks HTTP/1.0, a
# connection per request, so a name has several flows here.)
logall() {
	"$PY" - "$@" <<'EOF'
import json, re, sys
f, args = sys.argv[1], sys.argv[2:]
i = args.index("--")
def text(v):
    return "null" if v is None else str(v)
def holds(r, w):
    k, op, v = re.fullmatch(r"([a-z_]+)(!=|=|~)(.*)", w).groups()
    if k not in r:
        return False
    if op == "~":
        return re.fullmatch(v, text(r[k])) is not None
    return (text(r[k]) == v) == (op == "=")
recs = [json.loads(l) for l in open(f) if l.strip()]
sel = [r for r in recs if all(holds(r, w) for w in args[:i])]
if not sel:
    sys.exit("no record matches %s; all: %s" % (args[:i], [json.dumps(r) for r in recs]))
bad = [(w, json.dumps(r)) for r in sel for w in args[i + 1:] if not holds(r, w)]
if bad:
    sys.exit("not %s in %s" % bad[0])
print("%d records" % len(sel))
EOF
}

NAMES="git.lab.test pypi.lab.test www.lab.test"
EVIL=evil.lab.test
# name_addrs NAME: its IPv4 and IPv6 address in INET.
name_addrs() {
	case $1 in
	git.lab.test)  echo "$FAR4 $FAR6" ;;
	pypi.lab.test) echo "203.0.113.11 2001:db8:2::11" ;;
	www.lab.test)  echo "203.0.113.12 2001:db8:2::12" ;;
	esac
}
for n in pypi.lab.test www.lab.test; do
	read -r a4 a6 <<<"$(name_addrs "$n")"
	ip -n "$TG_INET" addr add "$a4/32" dev lo
	ip -n "$TG_INET" addr add "$a6/128" dev lo nodad
	ip -n "$TG_LAB" route add "$a4/32" via "$NEAR4"
	ip -n "$TG_LAB" -6 route add "$a6/128" via "$NEAR6"
done

# ---- the resolver: dnsmasq in LAB on 127.0.0.1:53 ---------------------------

hosts=()
for n in $NAMES; do
	read -r a4 a6 <<<"$(name_addrs "$n")"
	hosts+=(--host-record="$n,$a4,$a6")
done
start_dnsmasq "$TG_LAB" 127.0.0.1 www.lab.test "${hosts[@]}" --host-record="$EVIL,$NEAR4"
printf 'nameserver 127.0.0.1\n' >"$TG_TMP/resolv.conf"
chmod 644 "$TG_TMP/resolv.conf"
export TG_RESOLV=$TG_TMP/resolv.conf

# ---- what the server holds ---------------------------------------------------

WWW=$TG_TMP/www
mkdir -p "$WWW/simple/tglab-hello" "$WWW/packages"

# A bare repository with one commit, for git's dumb HTTP protocol.
G=(env -u GIT_DIR GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	git -c init.defaultBranch=main -c user.name=lab -c user.email=lab@lab.test)
make_repo() {
	local src=$TG_TMP/repo-src
	"${G[@]}" init -q --bare "$WWW/repo.git" &&
	"${G[@]}" clone -q "$WWW/repo.git" "$src" 2>/dev/null &&
	printf 'built in the lab, commit %s\n' "$$" >"$src/HELLO.txt" &&
	"${G[@]}" -C "$src" add HELLO.txt &&
	"${G[@]}" -C "$src" commit -q -m "lab: the file the job clones" &&
	"${G[@]}" -C "$src" push -q origin main &&
	"${G[@]}" -C "$WWW/repo.git" update-server-info
}
make_repo || { echo "could not make the git repository" >&2; exit 1; }

# A pure-python wheel made by hand (module, METADATA, WHEEL, RECORD) and a
# PEP 503 index that links it with its sha256 (pip checks it).
WHL=tglab_hello-1.0-py3-none-any.whl
"$PY" - "$WWW/packages/$WHL" <<'EOF' || { echo "could not make the wheel" >&2; exit 1; }
import base64, hashlib, sys, zipfile
di = "tglab_hello-1.0.dist-info"
files = {
    "tglab_hello/__init__.py": 'def hello():\n    return "hello from the lab mirror"\n',
    di + "/METADATA": "Metadata-Version: 2.1\nName: tglab-hello\nVersion: 1.0\n"
                      "Summary: a wheel for tungate's CI example\n",
    di + "/WHEEL": "Wheel-Version: 1.0\nGenerator: tungate-e2e\n"
                   "Root-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, body in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest())
    record += "%s,sha256=%s,%d\n" % (name, digest.rstrip(b"=").decode(), len(body.encode()))
files[di + "/RECORD"] = record + di + "/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, body in files.items():
        z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), body)
EOF
whl_sha=$(sha256sum "$WWW/packages/$WHL" | cut -d' ' -f1)
printf '<!DOCTYPE html><html><body><a href="tglab-hello/">tglab-hello</a></body></html>\n' \
	>"$WWW/simple/index.html"
printf '<!DOCTYPE html><html><body><a href="../../packages/%s#sha256=%s">%s</a></body></html>\n' \
	"$WHL" "$whl_sha" "$WHL" >"$WWW/simple/tglab-hello/index.html"
printf '<!DOCTYPE html><html><body>the lab web server %s</body></html>\n' "$$" >"$WWW/index.html"

# python3 -m http.server on [::]:80 in INET (dual-stack: every INET address).
HLOG=$TG_TMP/http.log
http_ready() { n_lab curl -fsS -o /dev/null --noproxy '*' --max-time 1 "http://$1/ready"; }
echo ready >"$WWW/ready"
timeout -k 2 900 ip netns exec "$TG_INET" "$PY" -m http.server --bind :: 80 \
	--directory "$WWW" >"$HLOG" 2>&1 &
tg_track $!
for a in "$FAR4" "[$FAR6]" 203.0.113.12 "$NEAR4"; do
	if ! wait_for 10 http_ready "$a"; then
		echo "http.server did not answer on $a:" >&2
		cat "$HLOG" >&2
		exit 1
	fi
done

# ---- the job ---------------------------------------------------------------

printf '%s\n' '# ci.policy' 'allow tcp:git.lab.test:80' 'allow tcp:pypi.lab.test:80' \
	'allow tcp:www.lab.test:80' >"$TG_TMP/ci.policy"
chmod 644 "$TG_TMP/ci.policy"

# The job's commands. Each step's status is kept in W/STEP.rc; the job exits
# 0 only if all three worked. EXTRA runs last.
JOB='cd "$W" || exit 1
st=0
git clone -q http://git.lab.test/repo.git clone; echo $? >git.rc
python3 -m pip install -q --no-cache-dir --disable-pip-version-check --no-input \
	--root-user-action=ignore \
	--index-url http://pypi.lab.test/simple/ --trusted-host pypi.lab.test \
	--target site tglab-hello; echo $? >pip.rc
curl -fsS -o page.html http://www.lab.test/; echo $? >curl.rc
for f in git.rc pip.rc curl.rc; do [ "$(cat $f)" = 0 ] || st=1; done
eval "$EXTRA"
exit $st'

# job DIR EXTRA: run the job in a fresh DIR (owned by the user that runs
# tungate-run), with a clean environment (no proxy, no pip or git settings of
# the machine), under ci.policy, --fail-on-deny, --log DIR/flows.jsonl.
# Sets rc (tungate-run's status); stderr in DIR/err.
job() {
	W=$TG_TMP/$1
	rm -rf "$W"
	mkdir -p "$W/home"
	chown -R "$TG_UID:$TG_GID" "$W"
	hlog_at=$(wc -l <"$HLOG")
	dlog_at=$(wc -l <"$TG_TMP/dnsmasq.log")
	tg_run --policy "$TG_TMP/ci.policy" --fail-on-deny --log "$W/flows.jsonl" -- \
		env -i HOME="$W/home" PATH="$USER_PATH" LANG=C.UTF-8 W="$W" EXTRA="$2" \
		PIP_CONFIG_FILE=/dev/null GIT_CONFIG_NOSYSTEM=1 sh -c "$JOB" \
		>"$W/out" 2>"$W/err" && rc=0 || rc=$?
}

# new_hlog / new_dlog: what the HTTP server / dnsmasq logged during the last
# job.
new_hlog() { tail -n "+$((hlog_at + 1))" "$HLOG"; }
new_dlog() { tail -n "+$((dlog_at + 1))" "$TG_TMP/dnsmasq.log"; }
dlog_names() {
	local n
	for n in $NAMES; do new_dlog | grep -qF "query[A] $n from" || return 1; done
}

# job_worked DIR: the three steps' results, and the server saw them.
job_worked() {
	# shellcheck disable=SC2034  # used in the eval'd checks
	local w=$TG_TMP/$1
	check "git clone: exit 0, the clone has the committed file" eval \
		'[ "$(cat "$w/git.rc")" = 0 ] && cmp "$TG_TMP/repo-src/HELLO.txt" "$w/clone/HELLO.txt"'
	check "pip install: exit 0, tglab_hello installed from the mirror and imports" eval \
		'[ "$(cat "$w/pip.rc")" = 0 ] && [ -f "$w/site/tglab_hello-1.0.dist-info/METADATA" ] &&
		 [ "$(PYTHONPATH="$w/site" "$PY" -B -c "import tglab_hello; print(tglab_hello.hello())")" = \
		   "hello from the lab mirror" ]'
	check "curl: exit 0, got the page" eval \
		'[ "$(cat "$w/curl.rc")" = 0 ] && cmp "$WWW/index.html" "$w/page.html"'
	local r
	for r in '/repo.git/info/refs' '/simple/tglab-hello/' "/packages/$WHL" '/ '; do
		check "the server in INET was asked for GET $r" eval 'new_hlog | grep -qF "\"GET $r"'
	done
	check "the host's resolver was asked for the three names" wait_for 2 dlog_names
}

# log_names_ok FILE: each name's TCP flows go to its addresses and are
# allowed by its rule, the name learned from DNS.
log_names_ok() {
	local n a4 a6
	for n in $NAMES; do
		read -r a4 a6 <<<"$(name_addrs "$n")"
		check "log: $n's TCP flows: to its address, host_source=dns verdict=allow, its rule" \
			logall "$1" proto=tcp "host=$n" -- "dst~(${a4//./\\.}|\\[$a6\\]):80" \
			host_source=dns verdict=allow "rule=allow tcp:$n:80" scope=external end=closed
	done
	check "log: every TCP flow is to one of the three names" \
		logall "$1" proto=tcp -- 'host~(git|pypi|www)\.lab\.test'
}

echo "  -- the job, under ci.policy (three names, nothing else)"
job run1 ''
L=$TG_TMP/run1/flows.jsonl
check "tungate-run --fail-on-deny: exit 0 (status $rc)" test "$rc" -eq 0
job_worked run1
log_names_ok "$L"
check "log: no flow denied" logall "$L" verdict~.* -- verdict=allow
check "stderr: no 'tungate: denied' line" eval '! grep -q "^tungate: denied" "$TG_TMP/run1/err"'
echo "  info  log, run 1:"
sed 's/^/  info  | /' "$L"

echo "  -- the same job, plus curl http://$EVIL/ || true"
job run2 'curl -fsS -o evil.html http://'"$EVIL"'/; echo $? >evil.rc'
L=$TG_TMP/run2/flows.jsonl
check "tungate-run --fail-on-deny: exit 123, the job itself exited 0 (status $rc)" \
	test "$rc" -eq 123
job_worked run2
check "curl http://$EVIL/: exit 6, could not resolve the name (NXDOMAIN)" eval \
	'[ "$(cat "$TG_TMP/run2/evil.rc")" = 6 ]'
check "stderr: a 'tungate: denied' line naming $EVIL" \
	grep -E "^tungate: denied .*\\b$EVIL\\b" "$TG_TMP/run2/err"
check "log: the query for $EVIL: DNS to the resolver, denied, host=$EVIL" \
	logall "$L" "host=$EVIL" verdict=deny -- proto=udp dst=127.0.0.1:53 host_source=dns \
	scope=loopback rule=default end=denied bytes_out=0
check "log: nothing else denied" logall "$L" verdict=deny -- "host=$EVIL"
check "log: no flow to $EVIL's address $NEAR4" logall "$L" verdict~.* -- "dst!=$NEAR4:80"
check "the host's resolver was never asked for $EVIL" eval '! new_dlog | grep -qF "$EVIL"'
log_names_ok "$L"
echo "  info  stderr, run 2:"
sed 's/^/  info  | /' "$TG_TMP/run2/err"
echo "  info  log, run 2 (the records that name $EVIL):"
grep -F "\"host\":\"$EVIL\"" "$L" | sed 's/^/  info  | /'

echo "  -- a job that fails on its own keeps its status"
check_status "curl -fsS http://$EVIL/ alone, --fail-on-deny: curl's own 6, not 123" 6 \
	tg_run -q --policy "$TG_TMP/ci.policy" --fail-on-deny -- \
	env -i PATH="$USER_PATH" curl -fsS -o /dev/null "http://$EVIL/"

tg_finish
