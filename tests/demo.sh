#!/bin/bash
# demo.sh - `make demo`: run a program in tungate's sandbox and let it fetch
# a file from a web server on this machine's loopback, through the gateway
# address 10.12.0.1 (which is the host's 127.0.0.1 as seen from inside).
#
#   tests/demo.sh BIN
#
# Talks to nothing but 127.0.0.1. The server is stopped on exit.
set -u

bin=${1:?usage: $0 path/to/tungate-run}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "demo: $bin: not an executable file (run make first)" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ] && ! { [ -r /dev/net/tun ] && [ -w /dev/net/tun ]; }; then
	cat >&2 <<EOF
demo: /dev/net/tun is not accessible to you ($(stat -c '%A %U:%G' /dev/net/tun 2>/dev/null || echo missing)).
tungate-run opens it inside its own user namespace and needs it to be
readable and writable by everyone, as most distributions ship it:

    sudo chmod 0666 /dev/net/tun

(To keep that across reboots, a udev rule such as
 KERNEL=="tun", MODE="0666" in /etc/udev/rules.d/60-tun.rules.)
Or run the demo as root.
EOF
	exit 1
fi
for t in curl timeout; do
	command -v "$t" >/dev/null || { echo "demo: $t is not installed" >&2; exit 1; }
done
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || { echo "demo: python3 is not installed" >&2; exit 1; }

dir=$(mktemp -d /tmp/tungate-demo.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$dir/www"
echo "Hello from the host's loopback, served at $(date '+%H:%M:%S')!" >"$dir/www/hello.txt"

# A tiny HTTP server on 127.0.0.1, on a free port it picks itself (port 0)
# and reports through a file; it lives at most 60 s.
timeout 60 "$py" - "$dir/www" "$dir/port" >"$dir/server.log" 2>&1 <<'PY' &
import functools, http.server, os, sys
root, portfile = sys.argv[1], sys.argv[2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY
server=$!
for _ in $(seq 100); do
	[ -s "$dir/port" ] && break
	sleep 0.05
done
[ -s "$dir/port" ] || { echo "demo: the HTTP server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
port=$(cat "$dir/port")

url=http://10.12.0.1:$port/hello.txt
echo "demo: a web server listens on the host's 127.0.0.1:$port (nowhere else)."
echo "demo: inside the sandbox the only way out is tun0; 10.12.0.1 is the host's"
echo "demo: loopback as seen from inside. Running:"
echo "      $bin -v --allow host:$port -- curl -sS $url"
echo
timeout -k 5 30 "$bin" -v --allow "host:$port" -- curl -sS --max-time 10 "$url" && rc=0 || rc=$?
echo
if [ "$rc" -eq 0 ]; then
	echo "demo: curl ran in the sandbox and got the file through the gateway (status 0)."
else
	echo "demo: failed: tungate-run exited with status $rc." >&2
fi
exit "$rc"
