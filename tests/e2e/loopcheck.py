#!/usr/bin/env python3
"""loopcheck.py - the sandbox's own loopback, seen from inside (tungate e2e).

Standard library only. Runs INSIDE the sandbox as the program (no
capabilities): it starts its own servers (threads of this process) and its
own clients, so every delivery is seen where it lands. Every wait is
bounded; the whole process lives at most --deadline seconds (default 90).
Only loopback, the sandbox's own addresses (10.12.0.2, fd12::2) and, for
cross-checks, the gateway address 10.12.0.1 / fd12::1 are ever contacted.

    loopcheck.py rt CASE... [--timeout T] [--grace G]
        CASE is PROTO,BIND,DST,PORT[,SIZE]: a server (tcp or udp) on
        BIND:PORT ("::" is dual-stack; "-": no server of ours), then a client
        to DST:PORT that sends SIZE bytes (default 100) ending in a newline
        and waits for the echo. One line per CASE:
          result=OK|ECONNREFUSED|EHOSTUNREACH|EACCES|TIMEOUT|... case=CASE
          peer=ADDR (the client's address as the server saw it, "-": none)
          served=N (connections accepted / datagrams received by the server,
          counted after the grace period) syn=N (SYN_RECV entries for the
          server's port) local=ADDR:PORT elapsed=S

    loopcheck.py transfer BIND DST PORT --up N --down M [--linger S]
        One TCP connection: the client sends N bytes and half-closes, the
        server reads to EOF, sends M bytes and closes; both sides hash.
        result=OK port=PORT up=N down=M got_up=N got_down=M sport=P elapsed=S
        mbps=R (OK only if both
        sha256 and lengths match); then sleeps S seconds (the flow's end
        is recorded by the gateway meanwhile).

    loopcheck.py bypass [--priv] [--failclosed DIR] [--timeout T]
        Dual-stack TCP, UDP and UDP-Lite servers on [::]:PORT (and multicast
        and broadcast receivers on PORT+1, joined on lo and tun0) count every
        connection, SYN_RECV, datagram and token they get; then every way
        around the gateway an unprivileged program could try, at once:
        methods plain, bind-lo (SO_BINDTODEVICE), unicast-if-lo
        (IP_UNICAST_IF/IPV6_UNICAST_IF), pktinfo-lo (IP_PKTINFO/IPV6_PKTINFO,
        UDP), bind-src-lo (client bound to 127.0.0.1/::1), bind-lo+src-lo,
        dontroute (SO_DONTROUTE), bind-tun0, scope-lo (sin6_scope_id lo) x
        TCP, connected UDP, sendto UDP x 127.0.0.1, 127.0.0.5, ::1,
        ::ffff:127.0.0.1 (AF_INET6), ::ffff:127.0.0.5, 10.12.0.2, fd12::2,
        0.0.0.0, ::; plus UDP-Lite, MPTCP, 65000-byte and GSO datagrams,
        multicast and broadcast. Lines:
          attempt=METHOD|DST|PROTO client=RESULT delivered=N
          group=DST attempts=N delivered=N clients=RESULT:N,...
          total attempts=N delivered=N syn=N unattributed=N
        --priv first tries raw/packet/ping sockets, SO_MARK, IP_TRANSPARENT,
        TCP_REPAIR, a second SO_BINDTODEVICE, a source route (IP_OPTIONS):
          priv=NAME result=OK|EPERM|EACCES|...
        --failclosed DIR: before the attempts, prove the loopback works
        (round trips, two connections kept open: lines before=...), write
        DIR/prog.pid and DIR/ready, wait (<= 30 s) for DIR/go (the test
        kills the gateway meanwhile), forget what the servers counted, send
        on the kept connections (lines estab=...), list the interfaces
        (ifaces=...), run the attempts, touch DIR/done.
"""

import argparse
import errno
import hashlib
import os
import re
import select
import selectors
import socket
import struct
import sys
import threading
import time

# labtool.py stands beside this file wherever the tests copy it: its
# deterministic data and result naming serve both.
from labtool import err_name as ename
from labtool import family_of as fam
from labtool import stream, stream_sha256 as stream_sha

SO_BINDTODEVICE = 25
SO_MARK = 36
IP_OPTIONS = 4
IP_PKTINFO = 8
IP_TRANSPARENT = 19
IP_MULTICAST_IF = 32
IP_ADD_MEMBERSHIP = 35
IP_UNICAST_IF = 50
IPV6_MULTICAST_IF = 17
IPV6_JOIN_GROUP = 20
IPV6_V6ONLY = 26
IPV6_PKTINFO = 50
IPV6_UNICAST_IF = 76
TCP_REPAIR = 19
UDP_SEGMENT = 103
IPPROTO_UDPLITE = 136
IPPROTO_MPTCP = 262

START = time.monotonic()
DEADLINE = START + 90


def out(line):
    """One write(2) per line: stdout may be shared."""
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def ifindex(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return 0


# ---------------------------------------------------------------------------
# servers: one thread, every listening socket; everything that arrives is
# recorded

class Rec:
    """What one server socket received."""

    def __init__(self):
        self.conns = []     # (peer addr, peer port) of accepted connections
        self.dgrams = []    # (peer addr, peer port) of datagrams
        self.tokens = {}    # token -> peer addr


class Servers:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.recs = {}
        self.stop = threading.Event()
        self.th = None
        self.bufs = {}

    def add(self, key, sock, kind):
        """kind: listen, dgram."""
        sock.setblocking(False)
        rec = self.recs.setdefault(key, Rec())
        self.sel.register(sock, selectors.EVENT_READ, (kind, rec, sock))
        return rec

    def start(self):
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def reset(self):
        with self.lock:
            for r in self.recs.values():
                r.conns.clear()
                r.dgrams.clear()
                r.tokens.clear()

    def _token(self, rec, data, peer):
        tok = data.split(b"\n", 1)[0].split(b".", 1)[0][:64]
        tok = tok.decode(errors="replace").strip()
        if tok:
            with self.lock:
                rec.tokens.setdefault(tok, peer)

    def _run(self):
        while not self.stop.is_set() and time.monotonic() < DEADLINE:
            for k, _ in self.sel.select(0.05):
                kind, rec, s = k.data
                try:
                    if kind == "listen":
                        c, peer = s.accept()
                        with self.lock:
                            rec.conns.append((peer[0], peer[1]))
                        c.setblocking(False)
                        self.bufs[c] = b""
                        self.sel.register(c, selectors.EVENT_READ,
                                          ("conn", rec, c))
                    elif kind == "conn":
                        d = s.recv(1 << 18)
                        if not d:
                            self.sel.unregister(s)
                            self.bufs.pop(s, None)
                            s.close()
                            continue
                        buf = self.bufs[s] + d
                        while b"\n" in buf:
                            line, buf = buf.split(b"\n", 1)
                            self._token(rec, line, s.getpeername()[0])
                            s.setblocking(True)
                            s.settimeout(2)
                            try:
                                s.sendall(line + b"\n")
                            except OSError:
                                pass
                            s.setblocking(False)
                        self.bufs[s] = buf[-(1 << 20):]
                    else:
                        d, peer = s.recvfrom(70000)
                        with self.lock:
                            rec.dgrams.append((peer[0], peer[1]))
                        self._token(rec, d, peer[0])
                        try:
                            s.sendto(d, peer)
                        except OSError:
                            pass
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        if self.th:
            self.th.join(2)
        for k in list(self.sel.get_map().values()):
            try:
                k.fileobj.close()
            except OSError:
                pass


def server_socket(proto, bind, port, ipproto=0):
    f = fam(bind)
    s = socket.socket(f, socket.SOCK_STREAM if proto == "tcp" else
                      socket.SOCK_DGRAM, ipproto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if f == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_V6ONLY, 0 if bind == "::" else 1)
    s.bind((bind, port))
    if proto == "tcp":
        s.listen(1024)
    return s


def syn_recv(ports):
    """SYN_RECV entries (state 03) whose local port is in PORTS."""
    n = 0
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    x = line.split()
                    if x[3] == "03" and int(x[1].rsplit(":", 1)[1], 16) in ports:
                        n += 1
        except OSError:
            pass
    return n


# ---------------------------------------------------------------------------
# rt: round trips, one server per case

def cmd_rt(a):
    srv = Servers()
    cases = []
    seen = set()
    for c in a.case:
        parts = c.split(",")
        if len(parts) not in (4, 5) or parts[0] not in ("tcp", "udp"):
            sys.exit("bad case %r" % c)
        proto, bind, dst, port = parts[:4]
        size = int(parts[4]) if len(parts) == 5 else 100
        port = int(port)
        key = (proto, bind, port)
        rec = None
        if bind != "-":
            if key in seen:
                sys.exit("two cases share the server %r" % (key,))
            seen.add(key)
            rec = srv.add(key, server_socket(proto, bind, port),
                          "listen" if proto == "tcp" else "dgram")
        cases.append((c, proto, dst, port, size, rec))
    srv.start()
    results = []
    for i, (c, proto, dst, port, size, rec) in enumerate(cases):
        tok = "rt%d-%d" % (os.getpid(), i)
        payload = (tok + ".").ljust(size - 1, ".").encode() + b"\n"
        t0 = time.monotonic()
        local = "-"
        s = None
        try:
            s = socket.socket(fam(dst), socket.SOCK_STREAM if proto == "tcp"
                              else socket.SOCK_DGRAM)
            s.settimeout(a.timeout)
            s.connect((dst, port))
            local = "%s:%d" % s.getsockname()[:2]
            if proto == "tcp":
                s.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    d = s.recv(1 << 18)
                    if not d:
                        break
                    got += d
            else:
                s.send(payload)
                got = s.recv(70000)
            res = "OK" if got == payload else "MISMATCH"
        except Exception as e:  # noqa: BLE001
            res = ename(e)
        finally:
            if s:
                s.close()
        results.append((res, time.monotonic() - t0, local, tok))
    time.sleep(a.grace)
    syns = {}
    for (c, proto, dst, port, size, rec) in cases:
        if proto == "tcp" and rec is not None:
            syns[c] = syn_recv({port})
    srv.close()
    rc = 0
    for (c, proto, dst, port, size, rec), (res, el, local, tok) in zip(cases, results):
        if rec is None:
            served, peer, syn = "-", "-", "-"
        else:
            with srv.lock:
                served = len(rec.conns) if proto == "tcp" else len(rec.dgrams)
                peer = rec.tokens.get(tok, "-")
            syn = syns.get(c, 0)
        out("result=%s case=%s peer=%s served=%s syn=%s local=%s elapsed=%.3f"
            % (res, c, peer, served, syn, local, el))
        rc |= res != "OK"
    return rc


# ---------------------------------------------------------------------------
# transfer: N up, M down, one TCP connection, sha256 both ways

def cmd_transfer(a):
    ls = server_socket("tcp", a.bind, a.port)
    ls.settimeout(a.timeout)
    got = {}

    def serve():
        try:
            c, _ = ls.accept()
            c.settimeout(a.timeout)
            h = hashlib.sha256()
            n = 0
            while True:
                d = c.recv(1 << 20)
                if not d:
                    break
                h.update(d)
                n += len(d)
            got["up"] = (n, h.hexdigest())
            for chunk in stream(a.down):
                c.sendall(chunk)
            c.close()
        except OSError as e:
            got["err"] = "server " + ename(e)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    t0 = time.monotonic()
    res, sport, down = "OK", 0, (0, "")
    try:
        s = socket.create_connection((a.dst, a.port), timeout=a.timeout)
        sport = s.getsockname()[1]
        for chunk in stream(a.up):
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        h = hashlib.sha256()
        n = 0
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            h.update(d)
            n += len(d)
        down = (n, h.hexdigest())
        s.close()
    except OSError as e:
        res = ename(e)
    th.join(a.timeout)
    el = time.monotonic() - t0
    ls.close()
    if res == "OK":
        if "err" in got:
            res = got["err"].replace(" ", "_")
        elif got.get("up") != (a.up, stream_sha(a.up)):
            res = "UP_MISMATCH"
        elif down != (a.down, stream_sha(a.down)):
            res = "DOWN_MISMATCH"
    out("result=%s port=%d up=%d down=%d got_up=%s got_down=%d sport=%d elapsed=%.3f mbps=%.0f"
        % (res, a.port, a.up, a.down, got.get("up", (-1,))[0], down[0], sport, el,
           (a.up + a.down) * 8 / 1e6 / max(el, 1e-6)))
    time.sleep(a.linger)
    return 0 if res == "OK" else 1


# ---------------------------------------------------------------------------
# bypass: every way around the gateway

V4_DSTS = ["127.0.0.1", "127.0.0.5", "10.12.0.2", "0.0.0.0"]
V6_DSTS = ["::1", "::ffff:127.0.0.1", "::ffff:127.0.0.5", "fd12::2", "::",
           "::ffff:10.12.0.2"]
METHODS = ["plain", "bind-lo", "unicast-if-lo", "pktinfo-lo", "bind-src-lo",
           "bind-lo+src-lo", "dontroute", "bind-tun0", "scope-lo"]
PROTOS = ["tcp", "udp-conn", "udp-sendto"]


class Bypass:
    def __init__(self, port, timeout):
        self.P = port
        self.PM = port + 1
        self.TO = timeout
        self.LO = ifindex("lo")
        self.TUN = ifindex("tun0")
        self.srv = Servers()
        self.seq = 0
        self.attempts = []   # dicts: name, group, proto, sock, tok, cport, result
        self.notes = []

    # -- servers
    def start_servers(self):
        P = self.P
        self.tcp = self.srv.add("tcp", server_socket("tcp", "::", P), "listen")
        self.udp = self.srv.add("udp", server_socket("udp", "::", P), "dgram")
        try:
            self.srv.add("udplite", server_socket("udp", "::", P, IPPROTO_UDPLITE),
                         "dgram")
        except OSError as e:
            self.notes.append("udplite-server:" + ename(e))
        m4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        m4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        m4.bind(("0.0.0.0", self.PM))
        # Groups joined inside the sandbox only (see the multicast probes).
        for grp in ("239.1.2.3", "224.0.0.123"):
            for ifi in (self.LO, self.TUN):
                if not ifi:
                    continue
                try:
                    m4.setsockopt(socket.IPPROTO_IP, IP_ADD_MEMBERSHIP,
                                  socket.inet_aton(grp) + socket.inet_aton("0.0.0.0")
                                  + struct.pack("i", ifi))
                except OSError as e:
                    self.notes.append("join-%s-if%d:%s" % (grp, ifi, ename(e)))
        self.srv.add("mcast4", m4, "dgram")
        m6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        m6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        m6.setsockopt(socket.IPPROTO_IPV6, IPV6_V6ONLY, 1)
        m6.bind(("::", self.PM))
        for grp in ("ff02::123", "ff15::123"):
            for ifi in (self.LO, self.TUN):
                if not ifi:
                    continue
                try:
                    m6.setsockopt(socket.IPPROTO_IPV6, IPV6_JOIN_GROUP,
                                  socket.inet_pton(socket.AF_INET6, grp)
                                  + struct.pack("I", ifi))
                except OSError as e:
                    self.notes.append("join-%s-if%d:%s" % (grp, ifi, ename(e)))
        self.srv.add("mcast6", m6, "dgram")
        self.srv.start()

    def token(self):
        self.seq += 1
        return "bp%d-%d" % (os.getpid(), self.seq)

    # -- one attempt's socket options
    def method(self, s, f, method, dst):
        mapped = dst.startswith("::ffff:")
        for m in method.split("+"):
            if m == "bind-lo":
                s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, b"lo\0")
            elif m == "bind-tun0":
                s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, b"tun0\0")
            elif m == "unicast-if-lo":
                if f == socket.AF_INET:
                    s.setsockopt(socket.IPPROTO_IP, IP_UNICAST_IF,
                                 struct.pack("!I", self.LO))
                else:
                    s.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_IF,
                                 struct.pack("!I", self.LO))
                    if mapped:
                        s.setsockopt(socket.IPPROTO_IP, IP_UNICAST_IF,
                                     struct.pack("!I", self.LO))
            elif m in ("bind-src-lo", "src-lo"):
                if f == socket.AF_INET:
                    s.bind(("127.0.0.1", 0))
                else:
                    s.bind(("::ffff:127.0.0.1" if mapped else "::1", 0))
            elif m == "dontroute":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_DONTROUTE, 1)

    def addr(self, f, dst, port, method):
        if f == socket.AF_INET6:
            return (dst, port, 0, self.LO if method == "scope-lo" else 0)
        return (dst, port)

    def applies(self, method, dst, proto):
        v6 = ":" in dst
        if method == "pktinfo-lo" and proto == "tcp":
            return False
        if method == "scope-lo" and (not v6 or dst.startswith("::ffff:")):
            return False
        return True

    def launch(self, name, group, dst, method, proto, port=None, ipproto=0,
               size=0, gso=0, bcast=False, mcast_if=None):
        port = port or self.P
        f = fam(dst)
        tok = self.token()
        at = {"name": name, "group": group, "proto": proto, "sock": None,
              "tok": tok, "cport": 0, "result": None}
        self.attempts.append(at)
        payload = tok.encode() + b"."
        if size:
            payload = payload.ljust(size, b".")
        step = "socket"
        try:
            s = socket.socket(f, socket.SOCK_STREAM if proto == "tcp" else
                              socket.SOCK_DGRAM, ipproto)
            at["sock"] = s
            step = "setsockopt"
            if gso:
                s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, gso)
            if bcast:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if mcast_if is not None:
                if f == socket.AF_INET:
                    s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_IF,
                                 socket.inet_aton("0.0.0.0") * 2
                                 + struct.pack("i", mcast_if))
                else:
                    s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_IF,
                                 struct.pack("i", mcast_if))
            self.method(s, f, method, dst)
            a = self.addr(f, dst, port, method)
            s.setblocking(False)
            if proto == "tcp":
                step = "connect"
                e = s.connect_ex(a)
                try:
                    at["cport"] = s.getsockname()[1]
                except OSError:
                    pass
                if e not in (0, errno.EINPROGRESS):
                    raise OSError(e, os.strerror(e))
                at["payload"] = payload
                return
            if method == "pktinfo-lo":
                if f == socket.AF_INET or dst.startswith("::ffff:"):
                    anc = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("i", self.LO)
                            + socket.inet_aton("0.0.0.0") * 2)]
                else:
                    anc = [(socket.IPPROTO_IPV6, IPV6_PKTINFO,
                            bytes(16) + struct.pack("I", self.LO))]
                if proto == "udp-conn":
                    step = "connect"
                    s.connect(a)
                    step = "sendmsg"
                    s.sendmsg([payload], anc)
                else:
                    step = "sendmsg"
                    s.sendmsg([payload], anc, 0, a)
            elif proto == "udp-conn":
                step = "connect"
                s.connect(a)
                step = "send"
                s.send(payload)
            else:
                step = "sendto"
                s.sendto(payload, a)
            at["result"] = None     # decided in collect()
        except OSError as e:
            at["result"] = "%s@%s" % (ename(e), step)

    def launch_all(self):
        for dst in V4_DSTS + V6_DSTS:
            for m in METHODS:
                for proto in PROTOS:
                    if self.applies(m, dst, proto):
                        self.launch("%s|%s|%s" % (m, dst, proto), dst, dst, m, proto)
        time.sleep(0.1)     # let the servers drain before the big datagrams
        for dst in ("127.0.0.1", "127.0.0.5", "::1", "10.12.0.2", "fd12::2"):
            for m in ("plain", "bind-lo"):
                self.launch("%s|%s|udplite" % (m, dst), "extra", dst, m,
                            "udp-sendto", ipproto=IPPROTO_UDPLITE)
                self.launch("%s|%s|mptcp" % (m, dst), "extra", dst, m, "tcp",
                            ipproto=IPPROTO_MPTCP)
                self.launch("%s|%s|udp-65000B" % (m, dst), "extra", dst, m,
                            "udp-sendto", size=65000)
                self.launch("%s|%s|udp-gso" % (m, dst), "extra", dst, m,
                            "udp-sendto", size=8000, gso=1000)
        # Multicast groups, sent to only from inside the sandbox (its own
        # namespace: lo and tun0); the gateway relays no multicast, so
        # nothing can leave: these probe local delivery around it.
        for dst in ("239.1.2.3", "224.0.0.123", "ff02::123", "ff15::123"):
            for ifname, ifi in (("default", None), ("lo", self.LO),
                                ("tun0", self.TUN)):
                if ifi == 0:
                    continue
                for m in ("plain", "bind-lo"):
                    self.launch("mcast-if-%s+%s|%s|udp-sendto" % (ifname, m, dst),
                                "mcast", dst, m, "udp-sendto", port=self.PM,
                                mcast_if=ifi)
        for dst in ("127.255.255.255", "255.255.255.255", "10.12.0.255"):
            for m in ("plain", "bind-lo", "bind-src-lo"):
                for proto in ("udp-sendto", "udp-conn"):
                    self.launch("bcast+%s|%s|%s" % (m, dst, proto), "bcast", dst,
                                m, proto, port=self.PM, bcast=True)

    def collect(self):
        """Wait for the TCP connects (<= TO), send the tokens over those
        that connected, wait TO more for anything to arrive."""
        pend = [at for at in self.attempts
                if at["proto"] == "tcp" and at["result"] is None]
        end = time.monotonic() + self.TO
        while pend and time.monotonic() < end:
            _, w, _ = select.select([], [at["sock"] for at in pend], [],
                                    max(0, end - time.monotonic()))
            for at in [x for x in pend if x["sock"] in w]:
                pend.remove(at)
                e = at["sock"].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e:
                    at["result"] = errno.errorcode.get(e, str(e))
                    continue
                try:
                    at["sock"].send(at["payload"] + b"\n")
                    at["result"] = "CONNECTED"
                except OSError as ex:
                    at["result"] = "CONNECTED+" + ename(ex)
        for at in pend:
            at["result"] = "TIMEOUT"
        time.sleep(self.TO)
        for at in self.attempts:
            if at["result"] is None:   # UDP: a reply, a queued error, or nothing
                try:
                    d = at["sock"].recv(70000)
                    at["result"] = "REPLY" if d.startswith(at["tok"].encode()) else "OTHER"
                except BlockingIOError:
                    at["result"] = "SENT"
                except OSError as e:
                    at["result"] = ename(e)
        self.syn = syn_recv({self.P})
        with self.srv.lock:
            toks = {}
            for r in self.srv.recs.values():
                toks.update(r.tokens)
            conn_ports = {p for _, p in self.tcp.conns}
            self.n_conns = len(self.tcp.conns)
            self.n_dgrams = sum(len(r.dgrams) for r in self.srv.recs.values())
        attributed = 0
        for at in self.attempts:
            d = 0
            if at["tok"] in toks:
                d = 1
            elif at["proto"] == "tcp" and at["cport"] and at["cport"] in conn_ports:
                d = 1
            if at["proto"] == "tcp" and at["cport"] in conn_ports:
                attributed += 1
            at["delivered"] = d
        self.unattributed = self.n_conns - attributed
        for at in self.attempts:
            if at["sock"]:
                at["sock"].close()

    def report(self):
        groups = {}
        for at in self.attempts:
            out("attempt=%s client=%s delivered=%d"
                % (at["name"], at["result"], at["delivered"]))
            g = groups.setdefault(at["group"], [0, 0, {}])
            g[0] += 1
            g[1] += at["delivered"]
            r = at["result"].split("@")[0]
            g[2][r] = g[2].get(r, 0) + 1
        for name, (n, d, rs) in groups.items():
            out("group=%s attempts=%d delivered=%d clients=%s" % (
                name, n, d, ",".join("%s:%d" % kv for kv in sorted(rs.items()))))
        total_d = sum(at["delivered"] for at in self.attempts)
        out("total attempts=%d delivered=%d conns=%d dgrams=%d syn=%d unattributed=%d%s"
            % (len(self.attempts), total_d, self.n_conns, self.n_dgrams, self.syn,
               self.unattributed,
               (" notes=" + ",".join(self.notes)) if self.notes else ""))


def priv_checks():
    def raw(f, t, p):
        return lambda: socket.socket(f, t, p).close()

    def sso(level, opt, val, typ=socket.SOCK_DGRAM, f=socket.AF_INET, pre=None):
        def fn():
            s = socket.socket(f, typ)
            try:
                if pre:
                    pre(s)
                s.setsockopt(level, opt, val)
            finally:
                s.close()
        return fn

    ops = [
        ("raw-ipv4-udp", raw(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)),
        ("raw-ipv4-tcp", raw(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)),
        ("raw-ipv4-raw", raw(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)),
        ("raw-ipv6-udp", raw(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)),
        ("raw-ipv6-raw", raw(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)),
        ("packet-raw", raw(socket.AF_PACKET, socket.SOCK_RAW, 0x0300)),
        ("packet-dgram", raw(socket.AF_PACKET, socket.SOCK_DGRAM, 0x0300)),
        ("ping-ipv4", raw(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)),
        ("ping-ipv6", raw(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)),
        ("so_mark", sso(socket.SOL_SOCKET, SO_MARK, 1)),
        ("ip_transparent", sso(socket.IPPROTO_IP, IP_TRANSPARENT, 1)),
        ("tcp_repair", sso(socket.IPPROTO_TCP, TCP_REPAIR, 1, socket.SOCK_STREAM)),
        ("rebind-device-tun0-to-lo", sso(
            socket.SOL_SOCKET, SO_BINDTODEVICE, b"lo\0",
            pre=lambda s: s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, b"tun0\0"))),
        ("source-route-via-127.0.0.1", sso(
            socket.IPPROTO_IP, IP_OPTIONS,
            bytes([131, 7, 4]) + socket.inet_aton("127.0.0.1") + b"\x01")),
    ]
    for name, fn in ops:
        try:
            fn()
            res = "OK"
        except OSError as e:
            res = ename(e)
        out("priv=%s result=%s" % (name, res))


def roundtrip_once(dst, port, proto, timeout=2.0):
    """A plain round trip to the bypass servers: result name."""
    tok = "before%d-%s-%s" % (os.getpid(), proto, dst)
    s = socket.socket(fam(dst), socket.SOCK_STREAM if proto == "tcp" else
                      socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((dst, port))
        if proto == "tcp":
            s.sendall(tok.encode() + b".\n")
        else:
            s.send(tok.encode() + b".\n")
        d = s.recv(1000)
        return "OK" if d.startswith(tok.encode()) else "MISMATCH"
    except OSError as e:
        return ename(e)
    finally:
        s.close()


def cmd_bypass(a):
    with open("/proc/self/status") as fh:
        st = dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    out("uid=%d capeff=%s nonewprivs=%s lo=%d tun0=%d" % (
        os.getuid(), st.get("CapEff", "?"), st.get("NoNewPrivs", "?"),
        ifindex("lo"), ifindex("tun0")))
    if a.priv:
        priv_checks()
    b = Bypass(a.port, a.timeout)
    b.start_servers()
    kept = []     # (dst, socket): connections opened before the kill
    sent = []     # (dst, token, send result) on them after it
    if a.failclosed:
        d = a.failclosed
        for dst in ("127.0.0.1", "::1"):
            for proto in ("tcp", "udp"):
                out("before=%s|%s result=%s" % (proto, dst,
                                                roundtrip_once(dst, a.port, proto)))
        for dst in ("127.0.0.1", "::1"):
            try:
                s = socket.create_connection((dst, a.port), timeout=2)
                s.settimeout(2)
                tok = "kept%d-%s-a" % (os.getpid(), dst)
                s.sendall(tok.encode() + b".\n")
                r = s.recv(1000).startswith(tok.encode())
                kept.append((dst, s))
                out("before=estab|%s result=%s" % (dst, "OK" if r else "MISMATCH"))
            except OSError as e:
                out("before=estab|%s result=%s" % (dst, ename(e)))
        with open(os.path.join(d, "prog.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        with open(os.path.join(d, "ready"), "w") as f:
            f.write("ready\n")
        end = time.monotonic() + 30
        while not os.path.exists(os.path.join(d, "go")) and time.monotonic() < end:
            time.sleep(0.05)
        b.srv.reset()
        out("ifaces=%s tun0=%d" % (",".join(n for _, n in socket.if_nameindex()),
                                   ifindex("tun0")))
        for dst, s in kept:
            tok = "kept%d-%s-b" % (os.getpid(), dst)
            try:
                s.send(tok.encode() + b".\n")
                res = "SENT"
            except OSError as e:
                res = ename(e)
            sent.append((dst, tok, res))
    b.launch_all()
    b.collect()
    for dst, tok, res in sent:
        with b.srv.lock:
            got = tok in b.tcp.tokens
        out("estab=%s send=%s delivered=%d" % (dst, res, 1 if got else 0))
    b.report()
    for _, s in kept:
        s.close()
    b.srv.close()
    if a.failclosed:
        with open(os.path.join(a.failclosed, "done"), "w") as f:
            f.write("done\n")
    return 0


def main(argv):
    global DEADLINE
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deadline", type=float, default=90)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rt")
    r.add_argument("case", nargs="+")
    r.add_argument("--timeout", type=float, default=2.0)
    r.add_argument("--grace", type=float, default=0.2)
    r.set_defaults(fn=cmd_rt)
    t = sub.add_parser("transfer")
    t.add_argument("bind")
    t.add_argument("dst")
    t.add_argument("port", type=int)
    t.add_argument("--up", type=int, required=True)
    t.add_argument("--down", type=int, required=True)
    t.add_argument("--timeout", type=float, default=30)
    t.add_argument("--linger", type=float, default=0)
    t.set_defaults(fn=cmd_transfer)
    b = sub.add_parser("bypass")
    b.add_argument("--port", type=int, default=7500)
    b.add_argument("--timeout", type=float, default=0.8)
    b.add_argument("--priv", action="store_true")
    b.add_argument("--failclosed")
    b.set_defaults(fn=cmd_bypass)
    a = p.parse_args(argv)
    DEADLINE = START + a.deadline
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
