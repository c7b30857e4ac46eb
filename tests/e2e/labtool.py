#!/usr/bin/env python3
"""labtool.py - servers and clients for tungate's end-to-end tests.

Standard library only. Every blocking operation has a timeout; every server
lives at most --lifetime seconds, so nothing outlives a crashed test run.

Servers (one process, one thread per listening socket, bind per address;
each port option may be given more than once, for several ports):

    labtool.py serve --bind ADDR [--bind ADDR ...] [--http PORT] [--echo PORT]
                     [--sum PORT] [--source PORT] [--udp-echo PORT]
                     [--ready-file FILE] [--lifetime SEC]

  http      GET /file?bytes=N     N deterministic pseudo-random bytes (stream())
            GET /peer             the client's address as the server sees it
            PUT|POST /anything    reads the body, replies "sha256=HEX length=N"
  echo      TCP: writes back whatever it reads, until EOF
  sum       TCP: reads until EOF (the client's half-close), then replies the
            sha256 hex of everything read and closes
  udp-echo  UDP: replies each datagram to its sender; a datagram that starts
            with b"DELAY:<sec>:" is answered after <sec> seconds (<= 10)

  When every socket is bound and listening it prints "ready" and writes
  "ready" to --ready-file (atomically).

Clients print one line of key=value pairs, always starting with result=
(OK, or an errno name such as ECONNREFUSED, or TIMEOUT / MISMATCH / ...),
and exit 0 only when result=OK:

    labtool.py connect    HOST PORT [--timeout T]      (prints local=ADDR too)
    labtool.py peer       HOST PORT [--timeout T]      (HTTP: local= and peer=)
    labtool.py echo       HOST PORT [--bytes N] [--timeout T]
    labtool.py halfclose  HOST PORT [--bytes N] [--timeout T]
    labtool.py concurrent HOST PORT [--count N] [--timeout T]
    labtool.py udp        HOST PORT [--bytes N] [--delay S] [--recverr]
                          [--timeout T]  (sent= is the datagram's size)
    labtool.py download   HOST PORT --bytes N [--timeout T]
    labtool.py upload     HOST PORT --bytes N [--timeout T]
    labtool.py rawget     HOST PORT --bytes N [--timeout T]
                          (source server: sends "N\n", reads to EOF;
                          prints bytes= and sha256= of what came)
    labtool.py probe      SPEC... [--timeout T]
                          SPEC is tcp:HOST:PORT (connect) or udp:HOST:PORT
                          (a round trip to a UDP echo server), IPv6 HOST in
                          brackets; one line per SPEC: result= probe= elapsed=

  connect, echo, halfclose, udp and rawget take --sport P (source port).
    labtool.py genhash    N            (prints the sha256 of stream(N))
"""

import argparse
import errno
import hashlib
import http.client
import http.server
import os
import random
import select
import signal
import socket
import socketserver
import sys
import threading
import time

CHUNK = 1 << 20
_BASE = random.Random(0x746E6774).randbytes(CHUNK + 4096)


def stream(n):
    """Yield n deterministic pseudo-random bytes in chunks of up to 1 MiB.

    Chunk i is a 1 MiB window of a fixed random buffer at an offset that
    depends on i, so misplaced, repeated or dropped data changes the hash.
    """
    i = 0
    while n > 0:
        off = (i * 7919) % 4096
        k = min(CHUNK, n)
        yield _BASE[off:off + k]
        n -= k
        i += 1


def stream_sha256(n):
    h = hashlib.sha256()
    for c in stream(n):
        h.update(c)
    return h.hexdigest()


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def err_name(e):
    """Name of an exception for result=: errno name, or TIMEOUT."""
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "TIMEOUT"
    if isinstance(e, OSError) and e.errno is not None:
        return errno.errorcode.get(e.errno, "E%d" % e.errno)
    return type(e).__name__


def report(result, **kv):
    parts = ["result=%s" % result] + ["%s=%s" % (k, v) for k, v in kv.items()]
    # One write(2): clients running in parallel share a pipe, and a line
    # below PIPE_BUF is never interleaved with another.
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), (" ".join(parts) + "\n").encode())
    return 0 if result == "OK" else 1


# --------------------------------------------------------------------------
# Servers

class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


class _TCPServer6(_TCPServer):
    address_family = socket.AF_INET6


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(60)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
        except OSError:
            pass


class SumHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(60)
        h = hashlib.sha256()
        try:
            while True:
                d = s.recv(1 << 18)
                if not d:
                    break
                h.update(d)
            s.sendall(h.hexdigest().encode() + b"\n")
        except OSError:
            pass


class SourceHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(60)
        try:
            line = b""
            while not line.endswith(b"\n") and len(line) <= 32:
                d = s.recv(1)
                if not d:
                    return
                line += d
            n = int(line.strip() or b"0")
            if not 0 <= n <= 1 << 30:
                return
            for c in stream(n):
                s.sendall(c)
        except (OSError, ValueError):
            pass


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        if path == "/peer":
            body = ("%s\n" % self.client_address[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path != "/file" or not params.get("bytes", "").isdigit():
            self.send_error(404)
            return
        n = int(params["bytes"])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        for c in stream(n):
            self.wfile.write(c)

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        h = hashlib.sha256()
        got = 0
        while got < n:
            d = self.rfile.read(min(1 << 18, n - got))
            if not d:
                break
            h.update(d)
            got += len(d)
        body = ("sha256=%s length=%d\n" % (h.hexdigest(), got)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT


class _HTTPServer(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def udp_echo_loop(sock):
    while True:
        try:
            d, peer = sock.recvfrom(65535)
        except OSError:
            continue
        if d.startswith(b"DELAY:"):
            try:
                delay = min(float(d.split(b":")[1]), 10.0)
            except (ValueError, IndexError):
                delay = 0.0
            threading.Timer(delay, _udp_reply, (sock, d, peer)).start()
        else:
            _udp_reply(sock, d, peer)


def _udp_reply(sock, d, peer):
    try:
        sock.sendto(d, peer)
    except OSError:
        pass


def cmd_serve(a):
    threads = []
    for addr in a.bind:
        v6 = family_of(addr) == socket.AF_INET6
        for ports, cls4, cls6, handler in (
                (a.http, _HTTPServer, _HTTPServer6, HTTPHandler),
                (a.echo, _TCPServer, _TCPServer6, EchoHandler),
                (a.sum, _TCPServer, _TCPServer6, SumHandler),
                (a.source, _TCPServer, _TCPServer6, SourceHandler)):
            for port in filter(None, ports or ()):
                srv = (cls6 if v6 else cls4)((addr, port), handler)
                threads.append(threading.Thread(target=srv.serve_forever,
                                                daemon=True))
        for port in filter(None, a.udp_echo or ()):
            u = socket.socket(family_of(addr), socket.SOCK_DGRAM)
            u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            u.bind((addr, port))
            threads.append(threading.Thread(target=udp_echo_loop, args=(u,),
                                            daemon=True))
    for t in threads:
        t.start()
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("ready\n")
        os.rename(tmp, a.ready_file)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    time.sleep(a.lifetime)
    return 0


# --------------------------------------------------------------------------
# Clients

def _bind_sport(s, host, sport):
    """Bind S to source port SPORT (0: let the kernel choose)."""
    if sport:
        s.bind(("::" if family_of(host) == socket.AF_INET6 else "0.0.0.0",
                sport))


def _connect(host, port, timeout, sport=0):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    _bind_sport(s, host, sport)
    s.connect((host, port))
    return s


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return bytes(buf)


def cmd_connect(a):
    t0 = time.monotonic()
    local = "-"
    try:
        s = _connect(a.host, a.port, a.timeout, a.sport)
        local = s.getsockname()[0]
        s.close()
        res = "OK"
    except Exception as e:  # noqa: BLE001 - report any failure by name
        res = err_name(e)
    return report(res, elapsed="%.3f" % (time.monotonic() - t0), local=local)


def cmd_peer(a):
    """Ask the HTTP server which address our connection came from."""
    t0 = time.monotonic()
    peer = local = "-"
    try:
        c = _http(a)
        c.connect()
        local = c.sock.getsockname()[0]
        c.request("GET", "/peer")
        r = c.getresponse()
        peer = r.read(200).decode(errors="replace").strip() or "-"
        c.close()
        res = "OK" if r.status == 200 else "HTTP%d" % r.status
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    return report(res, local=local, peer=peer,
                  elapsed="%.3f" % (time.monotonic() - t0))


def cmd_echo(a):
    t0 = time.monotonic()
    msg = b"".join(stream(a.bytes))
    try:
        s = _connect(a.host, a.port, a.timeout, a.sport)
        s.sendall(msg)
        got = _recv_exact(s, len(msg))
        s.close()
        res = "OK" if got == msg else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    return report(res, bytes=a.bytes,
                  elapsed="%.3f" % (time.monotonic() - t0))


def cmd_halfclose(a):
    """Send N bytes, shut down the write side, then read the server's reply
    (sha256 of what it got) until EOF."""
    t0 = time.monotonic()
    want = stream_sha256(a.bytes)
    got = ""
    try:
        s = _connect(a.host, a.port, a.timeout, a.sport)
        for c in stream(a.bytes):
            s.sendall(c)
        s.shutdown(socket.SHUT_WR)
        buf = bytearray()
        while len(buf) < 4096:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        got = buf.decode(errors="replace").strip()
        res = "OK" if got == want else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    return report(res, bytes=a.bytes, sha256=got or "-", expected=want,
                  elapsed="%.3f" % (time.monotonic() - t0))


def cmd_concurrent(a):
    """Open COUNT connections at once (non-blocking connects), and only when
    all are established write a unique message on each and read it back."""
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    fam = family_of(a.host)
    socks, errors = [], {}

    def fail(i, why):
        errors.setdefault(why, []).append(i)

    for i in range(a.count):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((a.host, a.port))
        if rc not in (0, errno.EINPROGRESS):
            fail(i, errno.errorcode.get(rc, str(rc)))
            s.close()
            s = None
        socks.append(s)

    pending = {s.fileno(): i for i, s in enumerate(socks) if s is not None}
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    while pending and time.monotonic() < deadline:
        for fd, _ev in poller.poll(200):
            i = pending.pop(fd, None)
            if i is None:
                continue
            poller.unregister(fd)
            rc = socks[i].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc:
                fail(i, errno.errorcode.get(rc, str(rc)))
                socks[i].close()
                socks[i] = None
    for fd, i in pending.items():
        fail(i, "CONNECT_TIMEOUT")
        socks[i].close()
        socks[i] = None
    connected = sum(1 for s in socks if s is not None)

    msgs = {}
    for i, s in enumerate(socks):
        if s is None:
            continue
        msgs[i] = (b"connection %04d of %d, pid %d: " % (i, a.count, os.getpid())
                   + hashlib.sha256(b"%d" % i).hexdigest().encode() * 8 + b"\n")
        s.setblocking(True)
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            s.sendall(msgs[i])
        except Exception as e:  # noqa: BLE001
            fail(i, err_name(e))
            s.close()
            socks[i] = None
    ok = 0
    for i, s in enumerate(socks):
        if s is None:
            continue
        try:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            got = _recv_exact(s, len(msgs[i]))
            if got == msgs[i]:
                ok += 1
            else:
                fail(i, "MISMATCH")
        except Exception as e:  # noqa: BLE001
            fail(i, err_name(e))
        s.close()
    summary = ",".join("%s:%d" % (k, len(v)) for k, v in sorted(errors.items()))
    return report("OK" if ok == a.count else "FAILED", ok=ok, count=a.count,
                  connected=connected, errors=summary or "-",
                  elapsed="%.3f" % (time.monotonic() - t0))


def cmd_udp(a):
    """Connected UDP socket: send one datagram, wait for the echo. An ICMP
    port unreachable shows up as ECONNREFUSED on recv."""
    t0 = time.monotonic()
    nonce = "%d-%f" % (os.getpid(), time.time())
    local = "-"
    if a.delay:
        msg = ("DELAY:%g:%s" % (a.delay, nonce)).encode()
    else:
        msg = ("udp-probe:%s:" % nonce).encode() + b"x" * a.bytes
    try:
        fam = family_of(a.host)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if a.recverr:
            # Without it, ICMP net/host unreachable is not reported on a UDP
            # socket (only port unreachable is a "hard" error).
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, 11, 1)      # IP_RECVERR
            else:
                s.setsockopt(socket.IPPROTO_IPV6, 25, 1)    # IPV6_RECVERR
        s.settimeout(a.timeout)
        _bind_sport(s, a.host, a.sport)
        s.connect((a.host, a.port))
        local = s.getsockname()[0]
        s.send(msg)
        got = s.recv(65535)
        res = "OK" if got == msg else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    return report(res, elapsed="%.3f" % (time.monotonic() - t0), local=local,
                  sent=len(msg))


IDLE = 15.0   # seconds without progress that count as a stall


def _http(a):
    return http.client.HTTPConnection(a.host, a.port,
                                      timeout=min(a.timeout, IDLE))


def cmd_download(a):
    t0 = time.monotonic()
    want = stream_sha256(a.bytes)
    h = hashlib.sha256()
    got = 0
    try:
        c = _http(a)
        c.request("GET", "/file?bytes=%d" % a.bytes)
        r = c.getresponse()
        if r.status != 200:
            raise RuntimeError("HTTP%d" % r.status)
        while True:
            d = r.read(1 << 18)
            if not d:
                break
            h.update(d)
            got += len(d)
            if time.monotonic() - t0 > a.timeout:
                raise TimeoutError()
        c.close()
        res = "OK" if (got == a.bytes and h.hexdigest() == want) else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e) if isinstance(e, OSError) else str(e) or type(e).__name__
    el = time.monotonic() - t0
    return report(res, bytes=got, sha256=h.hexdigest(), expected=want,
                  elapsed="%.3f" % el, mbit="%.0f" % (got * 8 / 1e6 / max(el, 1e-6)))


def cmd_upload(a):
    t0 = time.monotonic()
    want = stream_sha256(a.bytes)
    reply = ""
    try:
        c = _http(a)
        c.putrequest("PUT", "/upload")
        c.putheader("Content-Length", str(a.bytes))
        c.putheader("Content-Type", "application/octet-stream")
        c.endheaders()
        for chunk in stream(a.bytes):
            c.send(chunk)
            if time.monotonic() - t0 > a.timeout:
                raise TimeoutError()
        r = c.getresponse()
        reply = r.read(4096).decode(errors="replace").strip()
        c.close()
        kv = dict(p.partition("=")[::2] for p in reply.split())
        ok = kv.get("sha256") == want and kv.get("length") == str(a.bytes)
        res = "OK" if ok else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e) if isinstance(e, OSError) else str(e) or type(e).__name__
        kv = {}
    el = time.monotonic() - t0
    return report(res, bytes=kv.get("length", "-"), sha256=kv.get("sha256", "-"),
                  expected=want, elapsed="%.3f" % el,
                  mbit="%.0f" % (a.bytes * 8 / 1e6 / max(el, 1e-6)))


def cmd_rawget(a):
    """Ask a source server for N bytes; read until EOF."""
    t0 = time.monotonic()
    want = stream_sha256(a.bytes)
    h = hashlib.sha256()
    got = 0
    try:
        s = _connect(a.host, a.port, min(a.timeout, IDLE), a.sport)
        s.sendall(b"%d\n" % a.bytes)
        while True:
            d = s.recv(1 << 18)
            if not d:
                break
            h.update(d)
            got += len(d)
            if time.monotonic() - t0 > a.timeout:
                raise TimeoutError()
        s.close()
        res = "OK" if (got == a.bytes and h.hexdigest() == want) else "MISMATCH"
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    el = time.monotonic() - t0
    return report(res, bytes=got, sha256=h.hexdigest(), expected=want,
                  elapsed="%.3f" % el, mbit="%.0f" % (got * 8 / 1e6 / max(el, 1e-6)))


def _parse_spec(spec):
    """"tcp:HOST:PORT" or "udp:HOST:PORT" (IPv6 HOST in brackets)."""
    proto, _, rest = spec.partition(":")
    if rest.startswith("["):
        host, _, port = rest[1:].partition("]:")
    else:
        host, _, port = rest.rpartition(":")
    if proto not in ("tcp", "udp") or not host or not port.isdigit():
        raise ValueError("bad probe %r" % spec)
    return proto, host, int(port)


def cmd_probe(a):
    """Try each SPEC in turn, one line each: tcp (connect, then close) or
    udp (one datagram on a connected socket, the echo awaited)."""
    rc = 0
    for spec in a.spec:
        proto, host, port = _parse_spec(spec)
        t0 = time.monotonic()
        try:
            if proto == "tcp":
                _connect(host, port, a.timeout).close()
                res = "OK"
            else:
                s = socket.socket(family_of(host), socket.SOCK_DGRAM)
                s.settimeout(a.timeout)
                s.connect((host, port))
                msg = b"probe:%d:%s" % (os.getpid(), spec.encode())
                s.send(msg)
                res = "OK" if s.recv(65535) == msg else "MISMATCH"
                s.close()
        except Exception as e:  # noqa: BLE001
            res = err_name(e)
        rc |= report(res, probe=spec,
                     elapsed="%.3f" % (time.monotonic() - t0))
    return rc


def cmd_genhash(a):
    print(stream_sha256(a.n))
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve")
    s.add_argument("--bind", action="append", required=True)
    for name in ("http", "echo", "sum", "source", "udp-echo"):
        # Repeatable: one listener per port given.
        s.add_argument("--" + name, type=int, action="append")
    s.add_argument("--ready-file")
    s.add_argument("--lifetime", type=float, default=900)
    s.set_defaults(fn=cmd_serve)

    def client(name, fn, timeout=10.0, nbytes=None):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--timeout", type=float, default=timeout)
        c.add_argument("--bytes", type=int, default=nbytes,
                       required=nbytes is None)
        c.set_defaults(fn=fn)
        return c

    def sport(c):
        c.add_argument("--sport", type=int, default=0,
                       help="source port (default: the kernel's choice)")
        return c

    sport(client("connect", cmd_connect, 5.0, 0))
    client("peer", cmd_peer, 10.0, 0)
    sport(client("echo", cmd_echo, 10.0, 1000))
    sport(client("halfclose", cmd_halfclose, 10.0, 100000))
    client("concurrent", cmd_concurrent, 30.0, 0).add_argument(
        "--count", type=int, default=200)
    u = sport(client("udp", cmd_udp, 2.0, 100))
    u.add_argument("--delay", type=float, default=0)
    u.add_argument("--recverr", action="store_true")
    # --timeout bounds the whole transfer; a stall of IDLE seconds fails it
    # sooner.
    client("download", cmd_download, 120.0)
    client("upload", cmd_upload, 120.0)
    sport(client("rawget", cmd_rawget, 120.0))

    pr = sub.add_parser("probe")
    pr.add_argument("spec", nargs="+")
    pr.add_argument("--timeout", type=float, default=2.0)
    pr.set_defaults(fn=cmd_probe)

    g = sub.add_parser("genhash")
    g.add_argument("n", type=int)
    g.set_defaults(fn=cmd_genhash)

    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
