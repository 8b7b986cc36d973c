#!/usr/bin/env python3
"""A stand-in primary for tests/integration/secondary-udp.sh: answers SOA
queries for ZONE with SERIAL on 127.0.0.1:PORT over TCP, and over UDP as
UDP_MODE says: "answer", "tc" (an empty answer with TC set) or "drop" (no
answer). With KEY_NAME and SECRET (base64, hmac-sha256) every query must
carry a TSIG that verifies, and every answer is signed (RFC 8945). Writes
the port on stdout once bound; logs "TRANSPORT QTYPE OUTCOME" per query to
LOG, OUTCOME one of answered, truncated, refused, dropped, badsig, unsigned."""
import base64
import hashlib
import hmac
import socket
import struct
import sys
import threading
import time

port_file, log_path, zone, serial, udp_mode = sys.argv[1:6]
key_name = sys.argv[6] if len(sys.argv) > 6 else None
secret = base64.b64decode(sys.argv[7]) if len(sys.argv) > 7 else None
serial = int(serial)
log = open(log_path, "a", buffering=1)
lock = threading.Lock()


def wire(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.lower().encode()
    return out + b"\x00"


def skip_name(m, o):
    while True:
        n = m[o]
        if n == 0:
            return o + 1
        if n & 0xC0 == 0xC0:
            return o + 2
        o += 1 + n


ALG = wire("hmac-sha256")


def tsig_vars(t, fudge, error=0, other=b""):
    return (wire(key_name) + struct.pack("!HI", 255, 0) + ALG + struct.pack("!Q", t)[2:] +
            struct.pack("!HHH", fudge, error, len(other)) + other)


def verify(m):
    """The request MAC when m carries a good TSIG, None when unsigned, False when bad."""
    qd, an, ns, ar = struct.unpack("!HHHH", m[4:12])
    o = 12
    for _ in range(qd):
        o = skip_name(m, o) + 4
    start = None
    for i in range(an + ns + ar):
        rr = o
        o = skip_name(m, o)
        rtype, _, _, rdlen = struct.unpack("!HHIH", m[o:o + 10])
        if i == an + ns + ar - 1 and rtype == 250:
            start = rr
            rd = o + 10
        o += 10 + rdlen
    if start is None:
        return None
    p = skip_name(m, rd)
    t = int.from_bytes(m[p:p + 6], "big")
    fudge, maclen = struct.unpack("!HH", m[p + 6:p + 10])
    mac = m[p + 10:p + 10 + maclen]
    orig_id, error, olen = struct.unpack("!HHH", m[p + 10 + maclen:p + 16 + maclen])
    other = m[p + 16 + maclen:p + 16 + maclen + olen]
    body = struct.pack("!H", orig_id) + m[2:10] + struct.pack("!H", ar - 1) + m[12:start]
    want = hmac.new(secret, body + tsig_vars(t, fudge, error, other), hashlib.sha256).digest()
    return mac if hmac.compare_digest(want, mac) and abs(time.time() - t) <= fudge else False


def answer(q, tc):
    qend = skip_name(q, 12) + 4
    qtype = struct.unpack("!H", q[qend - 4:qend - 2])[0]
    flags = 0x8400 | (0x0200 if tc else 0)
    body = b""
    count = 0
    if not tc and qtype == 6:
        rd = wire("ns." + zone) + wire("hostmaster." + zone) + struct.pack("!IIIII", serial, 3600, 600, 86400, 60)
        body = wire(zone) + struct.pack("!HHIH", 6, 1, 300, len(rd)) + rd
        count = 1
    return q[0:2] + struct.pack("!HHHHH", flags, 1, count, 0, 0) + q[12:qend] + body, qtype


def respond(q, transport, tc):
    reqmac = verify(q) if secret else None
    resp, qtype = answer(q, tc)
    name = {6: "SOA", 251: "IXFR", 252: "AXFR"}.get(qtype, str(qtype))
    if secret and not reqmac:
        with lock:
            log.write("%s %s %s\n" % (transport, name, "unsigned" if reqmac is None else "badsig"))
        return None
    if secret:
        t = int(time.time())
        mac = hmac.new(secret, struct.pack("!H", len(reqmac)) + reqmac + resp + tsig_vars(t, 300),
                       hashlib.sha256).digest()
        rd = (ALG + struct.pack("!Q", t)[2:] + struct.pack("!HH", 300, len(mac)) + mac +
              resp[0:2] + struct.pack("!HH", 0, 0))
        resp = resp[0:10] + struct.pack("!H", 1) + resp[12:] + wire(key_name) + \
            struct.pack("!HHIH", 250, 255, 0, len(rd)) + rd
    with lock:
        log.write("%s %s %s\n" % (transport, name, "truncated" if tc else "answered"))
    return resp


def bind_pair():
    """A UDP and a TCP socket on one free port (the TCP port of a free UDP
    port may be taken: try another)."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        p = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", p))
        except OSError:
            u.close()
            t.close()
            continue
        return u, t, p
    raise SystemExit("soaprimary.py: no free port for both UDP and TCP")


udp, tcp, port = bind_pair()
tcp.listen(8)


def tcp_loop():
    while True:
        c, _ = tcp.accept()
        try:
            n = struct.unpack("!H", c.recv(2, socket.MSG_WAITALL))[0]
            q = c.recv(n, socket.MSG_WAITALL)
            r = respond(q, "tcp", False)
            if r is not None:
                c.sendall(struct.pack("!H", len(r)) + r)
        except Exception as e:  # a stand-in: say it and go on
            log.write("tcp error %s\n" % e)
        c.close()


threading.Thread(target=tcp_loop, daemon=True).start()
with open(port_file, "w") as f:
    f.write("%d\n" % port)
while True:
    q, peer = udp.recvfrom(4096)
    if udp_mode == "drop":
        with lock:
            log.write("udp %s dropped\n" % ("SOA" if len(q) > 12 else "?"))
        continue
    if udp_mode == "refuse":
        qend = skip_name(q, 12) + 4
        with lock:
            log.write("udp SOA refused\n")
        udp.sendto(q[0:2] + struct.pack("!HHHHH", 0x8005, 1, 0, 0, 0) + q[12:qend], peer)
        continue
    r = respond(q, "udp", udp_mode == "tc")
    if r is not None:
        udp.sendto(r, peer)
