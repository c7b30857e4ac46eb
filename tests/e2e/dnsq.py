#!/usr/bin/python3
"""dnsq.py - resolve names over UDP and connect to what they resolve to,
inside the sandbox, for test_names.sh. Standard library only.

    dnsq.py [--server ADDR] [--timeout T] STEP...

STEP, done in order, one line each on stdout:

    a:NAME  aaaa:NAME   one query (A or AAAA, RD set) over UDP to
                        SERVER:53 (default 198.51.100.2); the answer's
                        addresses are remembered for NAME
    tcp:HOST:PORT       connect, one line echoed back (an echo server), close
    udp:HOST:PORT       one round trip to a UDP echo server
                        HOST is an address (IPv6 in brackets) or a NAME
                        resolved by an earlier step: the first address of
                        NAME's latest answer
    pipe:NAME,NAME...   A queries for the NAMEs, all written at once on one
                        TCP connection to SERVER:53, answers read back
                        (RFC 7766 pipelining): OK when every one came,
                        with rcodes= in the order asked
    fake:NAME=ADDR@HOST:PORT
                        send, unasked, a DNS response that says NAME has
                        ADDR (A or AAAA, TTL 300) to HOST:PORT over UDP and
                        wait 1 s for a datagram back: OK if it comes back
                        unchanged (an echo server), NOREPLY if nothing
                        comes (a DNS server drops responses)

Each line: result=R n=I step=STEP [...] elapsed=S. R is OK, an errno name
(ECONNREFUSED, EHOSTUNREACH, EACCES...), TIMEOUT, or for a query the
response code when it is not NOERROR (NXDOMAIN, SERVFAIL, REFUSED...) and
NODATA for NOERROR without an address. A query line also has rcode=,
addrs= (comma-separated, "-" for none), chain= (the CNAME chain from the
query name, ">"-separated) and ttl= (the smallest along it, "-" for
none); a connect or round trip line has dst= (ip:port, [ip]:port; "-" if
NAME has no address). Exit status 0 only if every step is OK.

Only lab addresses are ever contacted (198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32, loopback): anything else is refused before a socket exists
(result=NOTLAB).
"""
import argparse
import errno
import ipaddress
import os
import socket
import struct
import sys
import time

# labtool.py stands beside this file wherever the tests copy it.
from labtool import err_name, report

LAB_NETS = [ipaddress.ip_network(n) for n in (
    "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
    "127.0.0.0/8", "::1/128")]

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}
QTYPES = {"a": 1, "aaaa": 28}
T_A, T_CNAME, T_AAAA = 1, 5, 28


class DNSError(Exception):
    pass


def in_lab(addr):
    a = ipaddress.ip_address(addr)
    return any(a in n for n in LAB_NETS)


# ---- messages --------------------------------------------------------------

def build_query(qid, name, qtype):
    """A standard query with RD set and one question (class IN)."""
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        b = label.encode("ascii")
        if not 0 < len(b) < 64:
            raise DNSError("bad name %r" % name)
        q += bytes([len(b)]) + b
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def read_name(msg, off):
    """The (lower-case) name at OFF and the offset after it in place;
    follows compression pointers (at most 32)."""
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(msg):
            raise DNSError("name runs past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg) or jumps > 32:
                raise DNSError("bad compression pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
        elif n == 0:
            if end is None:
                end = off + 1
            return ".".join(labels).lower(), end
        elif n < 64:
            labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
            off += 1 + n
        else:
            raise DNSError("bad label length %d" % n)


def parse_response(msg, qid, qname, qtype):
    """(rcode, addrs, chain, ttl): the A/AAAA addresses of QTYPE reachable
    from QNAME through the answer section's CNAMEs, that chain, and the
    smallest TTL along it (None without an address)."""
    if len(msg) < 12:
        raise DNSError("short message")
    rid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid or not flags & 0x8000:
        raise DNSError("not our response")
    rcode = flags & 0xF
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    cnames, addrs, ttls = {}, {}, {}
    for _ in range(an):
        owner, off = read_name(msg, off)
        if off + 10 > len(msg):
            raise DNSError("record runs past the end")
        rtype, _rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if len(rdata) != rdlen:
            raise DNSError("rdata runs past the end")
        if rtype in (T_CNAME, T_A, T_AAAA):
            ttls[owner] = min(ttl, ttls.get(owner, ttl))
        if rtype == T_CNAME:
            cnames[owner], _ = read_name(msg, off)
        elif rtype == T_A and rdlen == 4:
            addrs.setdefault(owner, []).append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == T_AAAA and rdlen == 16:
            addrs.setdefault(owner, []).append(socket.inet_ntop(socket.AF_INET6, rdata))
        off += rdlen
    chain = [qname.rstrip(".").lower()]
    while chain[-1] in cnames and len(chain) < 9:
        chain.append(cnames[chain[-1]])
    got = addrs.get(chain[-1], [])
    want = socket.AF_INET6 if qtype == T_AAAA else socket.AF_INET
    got = [a for a in got if (":" in a) == (want == socket.AF_INET6)]
    ttl = min(ttls.get(c, 0) for c in chain) if got else None
    return rcode, got, chain, ttl


def build_fake(name, addr):
    """A response (QR, RD, RA, NOERROR) to an A/AAAA question for NAME
    with one answer record: NAME has ADDR."""
    v6 = ":" in addr
    qtype = T_AAAA if v6 else T_A
    q = build_query(int.from_bytes(os.urandom(2), "big"), name, qtype)
    hdr = bytearray(q[:12])
    hdr[2:4] = struct.pack("!H", 0x8180)
    hdr[6:8] = struct.pack("!H", 1)
    rdata = socket.inet_pton(socket.AF_INET6 if v6 else socket.AF_INET, addr)
    rr = struct.pack("!HHHIH", 0xC00C, qtype, 1, 300, len(rdata)) + rdata
    return bytes(hdr) + q[12:] + rr


def query(server, name, qtype, timeout):
    qid = int.from_bytes(os.urandom(2), "big")
    msg = build_query(qid, name, qtype)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    deadline = time.monotonic() + timeout
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        # Connected: an ICMP error (a denial) comes back as an errno.
        s.connect((server, 53))
        s.send(msg)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            data = s.recv(65535)
            try:
                return parse_response(data, qid, name, qtype)
            except DNSError:
                continue        # not ours, or unreadable: keep waiting


# ---- steps -----------------------------------------------------------------

def fmt_dst(addr, port):
    return "[%s]:%d" % (addr, port) if ":" in addr else "%s:%d" % (addr, port)


def split_hostport(rest):
    if rest.startswith("["):
        host, _, port = rest[1:].partition("]:")
    else:
        host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("bad HOST:PORT %r" % rest)
    return host, int(port)


def is_addr(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def step_query(a, n, spec, kind, name, known):
    t0 = time.monotonic()
    rcode, addrs, chain, ttl = -1, [], [name], None
    if not in_lab(a.server):
        res = "NOTLAB"
    else:
        try:
            rcode, addrs, chain, ttl = query(a.server, name, QTYPES[kind], a.timeout)
            if rcode:
                res = RCODES.get(rcode, "RCODE%d" % rcode)
            else:
                res = "OK" if addrs else "NODATA"
        except Exception as e:  # noqa: BLE001 - report any failure by name
            res = err_name(e)
    known[name.lower()] = addrs
    return report(res, n=n, step=spec, rcode=rcode,
                  addrs=",".join(addrs) or "-", chain=">".join(chain),
                  ttl="-" if ttl is None else ttl,
                  elapsed="%.3f" % (time.monotonic() - t0))


def step_flow(a, n, spec, proto, rest, known):
    t0 = time.monotonic()
    host, port = split_hostport(rest)
    addr = host if is_addr(host) else (known.get(host.lower()) or [None])[0]
    dst = "-"
    if addr is None:
        res = "NOADDR"
    elif not in_lab(addr):
        res, dst = "NOTLAB", fmt_dst(addr, port)
    else:
        dst = fmt_dst(addr, port)
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        try:
            if proto == "tcp":
                # A round trip, not just connect(): a flow the gateway
                # decides on its first bytes is connected, then reset.
                with socket.socket(fam, socket.SOCK_STREAM) as s:
                    s.settimeout(a.timeout)
                    s.connect((addr, port))
                    msg = b"dnsq:%d:%d\n" % (os.getpid(), n)
                    s.sendall(msg)
                    got = b""
                    while len(got) < len(msg):
                        chunk = s.recv(len(msg) - len(got))
                        if not chunk:
                            break
                        got += chunk
                    res = "OK" if got == msg else "MISMATCH"
            else:
                with socket.socket(fam, socket.SOCK_DGRAM) as s:
                    s.settimeout(a.timeout)
                    s.connect((addr, port))
                    msg = b"dnsq:%d:%d" % (os.getpid(), n)
                    s.send(msg)
                    res = "OK" if s.recv(65535) == msg else "MISMATCH"
        except Exception as e:  # noqa: BLE001
            res = err_name(e)
    return report(res, n=n, step=spec, dst=dst,
                  elapsed="%.3f" % (time.monotonic() - t0))


def step_pipe(a, n, spec, rest):
    t0 = time.monotonic()
    names = rest.split(",")
    ids = [int.from_bytes(os.urandom(2), "big") for _ in names]
    out = b"".join(struct.pack("!H", len(q)) + q for q in
                   (build_query(i, nm, T_A) for i, nm in zip(ids, names)))
    rcodes, res = {}, "OK"
    if not in_lab(a.server):
        return report("NOTLAB", n=n, step=spec, elapsed="0")
    try:
        fam = socket.AF_INET6 if ":" in a.server else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(a.timeout)
            s.connect((a.server, 53))
            s.sendall(out)
            buf = b""
            while len(rcodes) < len(names):
                chunk = s.recv(65535)
                if not chunk:
                    res = "EOF"
                    break
                buf += chunk
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    ln = struct.unpack("!H", buf[:2])[0]
                    msg, buf = buf[2:2 + ln], buf[2 + ln:]
                    if len(msg) >= 4:
                        qid = struct.unpack("!H", msg[:2])[0]
                        rcodes[qid] = RCODES.get(msg[3] & 15, str(msg[3] & 15))
    except Exception as e:  # noqa: BLE001
        res = err_name(e)
    return report(res, n=n, step=spec,
                  rcodes=",".join(rcodes.get(i, "-") for i in ids),
                  elapsed="%.3f" % (time.monotonic() - t0))


def step_fake(a, n, spec, rest):
    t0 = time.monotonic()
    what, _, where = rest.partition("@")
    name, _, addr = what.partition("=")
    host, port = split_hostport(where)
    dst = fmt_dst(host, port)
    if not (in_lab(host) and in_lab(addr)):
        res = "NOTLAB"
    else:
        msg = build_fake(name, addr)
        try:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                               socket.SOCK_DGRAM) as s:
                s.settimeout(1.0)
                s.connect((host, port))
                s.send(msg)
                try:
                    res = "OK" if s.recv(65535) == msg else "MISMATCH"
                except (socket.timeout, TimeoutError):
                    res = "NOREPLY"
        except Exception as e:  # noqa: BLE001
            res = err_name(e)
    return report(res, n=n, step=spec, dst=dst,
                  elapsed="%.3f" % (time.monotonic() - t0))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", default="198.51.100.2")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("step", nargs="+")
    a = p.parse_args(argv)
    known, rc = {}, 0
    for n, spec in enumerate(a.step, 1):
        kind, _, rest = spec.partition(":")
        if kind in QTYPES:
            rc |= step_query(a, n, spec, kind, rest, known)
        elif kind in ("tcp", "udp"):
            rc |= step_flow(a, n, spec, kind, rest, known)
        elif kind == "pipe":
            rc |= step_pipe(a, n, spec, rest)
        elif kind == "fake":
            rc |= step_fake(a, n, spec, rest)
        else:
            p.error("bad step %r" % spec)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
