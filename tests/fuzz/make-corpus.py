#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/ (run from the source tree).

answer/: DNS queries, valid and hostile (compression loops, bad labels,
EDNS and Client Subnet variants). zone/: small master files. xfr/: zone
transfer responses as the transfer client reads them. journal/: journal
files of fuzz.example without their checksum (fuzz_journal.c adds it)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def name(n):
    out = b""
    for label in n.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qname, qtype=1, qclass=1, flags=0x0000, opt=None, qd=1, an=0, ns=0, ident=0x1234):
    ar = 1 if opt is not None else 0
    msg = struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)
    msg += name(qname) + struct.pack("!HH", qtype, qclass)
    if opt is not None:
        msg += opt
    return msg


def opt_rr(size=1232, version=0, do=False, options=b"", rcode_hi=0):
    ttl = (rcode_hi << 24) | (version << 16) | (0x8000 if do else 0)
    return b"\0" + struct.pack("!HHIH", 41, size, ttl, len(options)) + options


def cookie(data):
    return struct.pack("!HH", 10, len(data)) + data


def ecs(family, source, scope, addr):
    body = struct.pack("!HBB", family, source, scope) + addr
    return struct.pack("!HH", 8, len(body)) + body


cases = {
    "a-www": query("www.fuzz.example"),
    "aaaa-web": query("web.fuzz.example", 28),
    "mx-apex": query("fuzz.example", 15),
    "any-apex": query("fuzz.example", 255),
    "nx": query("nope.fuzz.example"),
    "nodata": query("mail.fuzz.example", 28),
    "ent": query("y.ent.fuzz.example"),
    "wild": query("a.b.wild.fuzz.example", 16),
    "loop": query("loop1.fuzz.example"),
    "dname": query("a.b.dn.fuzz.example"),
    "dname-loop": query("a.dnloop.fuzz.example"),
    "dname-long": query(("a" * 63 + ".") * 3 + "dnloop.fuzz.example"),
    "referral": query("host.sub.fuzz.example"),
    "ds-at-cut": query("sub.fuzz.example", 43),
    "srv": query("_sip._tcp.fuzz.example", 33),
    "big-txt": query("big.fuzz.example", 16),
    "big-txt-edns": query("big.fuzz.example", 16, opt=opt_rr(4096)),
    "refused": query("example.org"),
    "axfr": query("fuzz.example", 252),
    "ixfr": query("fuzz.example", 251),
    "chaos": query("version.bind", 16, 3),
    "chaos-id": query("id.server", 16, 3),
    "opcode-status": query("fuzz.example", flags=0x1000),
    "qr-set": query("fuzz.example", flags=0x8000),
    "qd0": query("fuzz.example", qd=0),
    "qd2": query("fuzz.example", qd=2),
    "an1": query("fuzz.example", an=1),
    "edns-badvers": query("fuzz.example", opt=opt_rr(version=1)),
    "edns-small": query("big.fuzz.example", 16, opt=opt_rr(100)),
    "edns-unknown-opt": query("fuzz.example", opt=opt_rr(options=struct.pack("!HH", 65001, 2) + b"ab")),
    "ecs-v4": query("www.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([192, 0, 2])))),
    "ecs-v6": query("www.fuzz.example", opt=opt_rr(options=ecs(2, 56, 0, bytes(7)))),
    "ecs-bad-len": query("www.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([192, 0, 2, 1])))),
    "ecs-bad-src": query("www.fuzz.example", opt=opt_rr(options=ecs(1, 33, 0, bytes(5)))),
    "ecs-scope": query("www.fuzz.example", opt=opt_rr(options=ecs(1, 24, 8, bytes(3)))),
    "ecs-hostbits": query("www.fuzz.example", opt=opt_rr(options=ecs(1, 20, 0, bytes([192, 0, 255])))),
    "ecs-family": query("www.fuzz.example", opt=opt_rr(options=ecs(3, 0, 0, b""))),
    "two-opt": query("fuzz.example", opt=opt_rr() + opt_rr())[:-0 or None],
    "short-header": b"\x12\x34\x00",
    "empty": b"",
    "ptr-loop": struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + b"\x00\x01\x00\x01",
    "ptr-forward": struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x20" + b"\x00\x01\x00\x01",
    "label-64": struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
    "label-type-01": struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x41abc\x00\x00\x01\x00\x01",
    "long-name": struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",
    "truncated-question": query("www.fuzz.example")[:20],
    "trailing": query("www.fuzz.example") + b"\x00\x00",
    "case": query("WwW.FuZz.ExAmPlE"),
    "lb-ecs-london": query("lb.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([81, 2, 69])))),
    "lb-ecs-v6": query("lb.fuzz.example", 28, opt=opt_rr(options=ecs(2, 48, 0, bytes([0x20, 1, 0xd, 0xb8, 1, 0])))),
    "lb-ecs-private": query("lb.fuzz.example", opt=opt_rr(options=ecs(1, 16, 0, bytes([10, 1])))),
    "lb-ecs-zero": query("lb.fuzz.example", opt=opt_rr(options=ecs(1, 0, 0, b""))),
    "lb-noecs": query("lb.fuzz.example"),
    "lb-mx": query("lb.fuzz.example", 15, opt=opt_rr(options=ecs(1, 24, 0, bytes([192, 0, 2])))),
    "lb-weighted": query("w.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([1, 2, 3])))),
    "lb-all-aaaa": query("all.fuzz.example", 28),
    "lb-any": query("all.fuzz.example", 255),
    "lb-cname-wild": query("x.y.dyn.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([45, 0, 0])))),
    "lb-below": query("a.lb.fuzz.example"),
    "cookie-client": query("www.fuzz.example", opt=opt_rr(options=cookie(bytes(range(8))))),
    "cookie-full": query("lb.fuzz.example", opt=opt_rr(options=ecs(1, 24, 0, bytes([81, 2, 69])) + cookie(bytes.fromhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")))),
    "cookie-short": query("www.fuzz.example", opt=opt_rr(options=cookie(bytes(7)))),
    "cookie-long": query("www.fuzz.example", opt=opt_rr(options=cookie(bytes(41)))),
    "cookie-two": query("www.fuzz.example", opt=opt_rr(options=cookie(bytes(8)) + cookie(bytes(3)))),
}
# DNSSEC OK: every kind of answer of the signed zones with its proofs
# (fuzz.example: NSEC; nsec3.example: NSEC3 with opt-out).
for k, qn, qt in [("a", "web.fuzz.example", 1), ("nx", "nope.fuzz.example", 1),
                  ("nodata", "mail.fuzz.example", 28), ("ent", "y.ent.fuzz.example", 1),
                  ("wild", "a.b.wild.fuzz.example", 16), ("cname", "www.fuzz.example", 1),
                  ("dname", "a.dn.fuzz.example", 1),
                  ("referral", "host.sub.fuzz.example", 1), ("ds", "sub.fuzz.example", 43),
                  ("dnskey", "fuzz.example", 48), ("any", "fuzz.example", 255),
                  ("big", "big.fuzz.example", 16), ("lb", "lb.fuzz.example", 1),
                  ("lb-nodata", "all.fuzz.example", 16), ("lb-below", "a.lb.fuzz.example", 1),
                  ("lb-wild", "x.dyn.fuzz.example", 1),
                  ("n3-nx", "nope.nsec3.example", 1), ("n3-nodata", "mail.nsec3.example", 28),
                  ("n3-ent", "b.ent.nsec3.example", 1), ("n3-wild", "x.wild.nsec3.example", 16),
                  ("n3-cname", "c1.nsec3.example", 1), ("n3-secure", "h.secure.nsec3.example", 1),
                  ("n3-insecure", "h.insecure.nsec3.example", 1),
                  ("n3-ds-insecure", "insecure.nsec3.example", 43),
                  ("n3-lb", "lb.nsec3.example", 28), ("n3-lb-below", "x.all.nsec3.example", 1),
                  ("n3-param", "nsec3.example", 51)]:
    cases["do-" + k] = query(qn, qt, opt=opt_rr(1232, do=True))
cases["do-small"] = query("nope.nsec3.example", opt=opt_rr(512, do=True))
cases["do-cd"] = query("web.fuzz.example", flags=0x0010, opt=opt_rr(1232, do=True))
# Two OPT records need the additional count fixed.
two = bytearray(query("fuzz.example", opt=opt_rr() + opt_rr()))
two[10:12] = struct.pack("!H", 2)
cases["two-opt"] = bytes(two)

os.makedirs(os.path.join(here, "corpus", "answer"), exist_ok=True)
for k, v in cases.items():
    with open(os.path.join(here, "corpus", "answer", k), "wb") as f:
        f.write(v)

zones = {
    "good": open(os.path.join(here, "fuzz.zone"), "rb").read(),
    "no-soa": b"$ORIGIN fuzz.example.\n@ 3600 IN NS ns1\n",
    "cname-and-data": b"$ORIGIN fuzz.example.\n@ SOA a b 1 2 3 4 5\nx CNAME y\nx A 192.0.2.1\n",
    "out-of-zone": b"$ORIGIN fuzz.example.\n@ SOA a b 1 2 3 4 5\nwww.other. A 192.0.2.1\n",
    "syntax": b"$ORIGIN fuzz.example.\n@ SOA a b 1 2 3 4 5\nx A 999.1.1.1\n",
    "include": b"$INCLUDE /etc/passwd\n",
    "dname-below": b"$ORIGIN fuzz.example.\n@ SOA a b 1 2 3 4 5\nx DNAME y\na.x A 192.0.2.1\n",
    "dname-twice": b"$ORIGIN fuzz.example.\n@ SOA a b 1 2 3 4 5\nx DNAME y\nx DNAME z\n",
    "empty": b"",
}
os.makedirs(os.path.join(here, "corpus", "zone"), exist_ok=True)
for k, v in zones.items():
    with open(os.path.join(here, "corpus", "zone", k), "wb") as f:
        f.write(v)

# xfr/: byte 0 picks AXFR (even) or IXFR (odd), then a TCP stream of
# length-prefixed responses of fuzz.example (fuzz_xfr.c).
def rr(owner, rtype, rdata, ttl=300):
    return name(owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def soa(serial):
    return rr("fuzz.example", 6, name("ns1.fuzz.example") + name("hostmaster.fuzz.example")
              + struct.pack("!IIIII", serial, 3600, 900, 604800, 300))


def a(owner, addr):
    return rr(owner, 1, bytes(int(x) for x in addr.split(".")))


def response(qtype, records, ident=0x4242, rcode=0):
    hdr = struct.pack("!HHHHHH", ident, 0x8400 | rcode, 1, len(records), 0, 0)
    return hdr + name("fuzz.example") + struct.pack("!HH", qtype, 1) + b"".join(records)


def stream(kind, *msgs):
    return bytes([kind]) + b"".join(struct.pack("!H", len(m)) + m for m in msgs)


xfrs = {
    "axfr": stream(0, response(252, [soa(5), a("www.fuzz.example", "192.0.2.80")]),
                   response(252, [a("new.fuzz.example", "192.0.2.9"), soa(5)])),
    "ixfr": stream(1, response(251, [soa(2), soa(1), a("mail.fuzz.example", "192.0.2.25"), soa(2),
                                     a("mail.fuzz.example", "192.0.2.26"), soa(2)])),
    "ixfr-current": stream(1, response(251, [soa(1)])),
    "ixfr-as-axfr": stream(1, response(251, [soa(7), a("x.fuzz.example", "192.0.2.1"), soa(7)])),
    "refused": stream(0, response(252, [], rcode=5)),
    "outside": stream(0, response(252, [soa(5), a("www.other.example", "192.0.2.1"), soa(5)])),
}
os.makedirs(os.path.join(here, "corpus", "xfr"), exist_ok=True)
for k, v in xfrs.items():
    with open(os.path.join(here, "corpus", "xfr", k), "wb") as f:
        f.write(v)

# journal/: journal files (gslbd/dns/journal_file.c) without the checksum;
# their records are packed without class: owner, type, TTL, RDLENGTH, RDATA.
def jrr(owner, rtype, rdata, ttl=300):
    return name(owner) + struct.pack("!HIH", rtype, ttl, len(rdata)) + rdata


def jsoa(serial):
    return jrr("fuzz.example", 6, name("ns1.fuzz.example") + name("hostmaster.fuzz.example")
               + struct.pack("!IIIII", serial, 3600, 900, 604800, 300))


def ja(owner, addr):
    return jrr(owner, 1, bytes(int(x) for x in addr.split(".")))


def journal(serial, diffs, flags=0, skip=0):
    out = b"GSLBDJNL" + struct.pack("!IIIII", 1, flags, serial, skip, len(diffs)) + name("fuzz.example")
    for frm, to, dels, adds in diffs:
        d = jsoa(frm) + b"".join(dels)
        ad = jsoa(to) + b"".join(adds)
        out += struct.pack("!IIIIII", frm, to, 1 + len(dels), len(d), 1 + len(adds), len(ad)) + d + ad
    return out


journals = {
    "empty": journal(5, []),
    "one": journal(2, [(1, 2, [ja("www.fuzz.example", "192.0.2.80")], [ja("www.fuzz.example", "192.0.2.81")])]),
    "two": journal(3, [(1, 2, [], [ja("new.fuzz.example", "192.0.2.9")]),
                       (2, 3, [ja("www.fuzz.example", "192.0.2.80")], [])]),
    "skip": journal(4, [], flags=1, skip=4),
    "gap": journal(4, [(1, 2, [], []), (3, 4, [], [])]),
}
os.makedirs(os.path.join(here, "corpus", "journal"), exist_ok=True)
for k, v in journals.items():
    with open(os.path.join(here, "corpus", "journal", k), "wb") as f:
        f.write(v)

# http/: byte 0 is fuzz_http.c's flags, byte 1 the size of the pieces the
# rest is sent in (0: at once); then what one client sends.
LIMIT5, LIMIT100, LIMIT4096 = 1, 2, 3
DEFER, DROP, NO_READ, CLOSE, REFUSE, SMALL = 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


def http(flags, chunk, text):
    return bytes([flags, chunk]) + text


GET = b"GET /v1/status HTTP/1.1\r\nHost: a\r\n\r\n"
POST5 = b"POST /v1/reports HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
requests = {
    "get": http(0, 0, GET),
    "get-bytewise": http(0, 1, GET),
    "get-lf-only": http(0, 0, b"GET /a?b=c&d HTTP/1.1\nX: y\n\n"),
    "head": http(0, 0, b"HEAD /h HTTP/1.1\r\n\r\nGET /h HTTP/1.1\r\n\r\n"),
    "http10": http(0, 0, b"GET / HTTP/1.0\r\n\r\nGET /never HTTP/1.1\r\n\r\n"),
    "http10-keepalive": http(0, 0, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"),
    "close": http(0, 0, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET /after HTTP/1.1\r\n\r\n"),
    "pipelined": http(LIMIT100, 0, GET + POST5 + b"GET /n HTTP/1.1\r\n\r\nGET /z HTTP/1.1\r\n\r\n" + GET),
    "pipelined-chunks": http(LIMIT100, 7, GET + POST5 + GET + POST5),
    "pipelined-no-read": http(LIMIT100 | NO_READ, 0, b"GET /metrics HTTP/1.1\r\n\r\n" * 60),
    "post-exact-limit": http(LIMIT5, 0, POST5 + GET),
    "post-over-limit": http(LIMIT5, 0, b"POST /p HTTP/1.1\r\nContent-Length: 6\r\n\r\nhello!" + GET),
    "post-zero": http(LIMIT5, 0, b"POST /p HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + GET),
    "post-short": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 50\r\n\r\nabc"),
    "post-over-budget": http(LIMIT4096, 0, b"POST /p HTTP/1.1\r\nContent-Length: 200\r\n\r\n" + b"x" * 200),
    "expect": http(LIMIT100, 3, b"POST /p HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nokGET / HTTP/1.1\r\n\r\n"),
    "cl-dup-same": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
    "cl-dup-differ": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"),
    "cl-sign": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: +2\r\n\r\nok"),
    "cl-space": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 2 2\r\n\r\nok"),
    "cl-overflow": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 184467440737095516160\r\n\r\n"),
    "cl-list": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nok"),
    "te-chunked": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
    "te-and-cl": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "te-space": http(LIMIT100, 0, b"POST /p HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    "obs-fold": http(0, 0, b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"),
    "lf-crlf-end": http(0, 0, b"GET / HTTP/1.1\r\nHost: a\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"),
    "bare-cr-target": http(0, 0, b"GET /a\rb HTTP/1.1\r\n\r\n"),
    "bare-cr-header": http(0, 0, b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
    "nul-path": http(0, 0, b"GET /a\0b HTTP/1.1\r\n\r\n"),
    "pct-path": http(0, 0, b"GET /v1/%72eload%00?x=%zz&%00=1 HTTP/1.1\r\n\r\n"),
    "absolute-form": http(0, 0, b"GET http://h/v1/status HTTP/1.1\r\n\r\n"),
    "authority": http(0, 0, b"GET //h/x HTTP/1.1\r\n\r\n"),
    "asterisk": http(0, 0, b"OPTIONS * HTTP/1.1\r\n\r\n"),
    "connect": http(0, 0, b"CONNECT h:443 HTTP/1.1\r\n\r\n"),
    "long-line": http(0, 0, b"GET /" + b"a" * 1100 + b" HTTP/1.1\r\n\r\n"),
    "long-header-small": http(SMALL, 0, b"GET / HTTP/1.1\r\nX: " + b"b" * 60 + b"\r\n\r\n"),
    "many-headers": http(0, 0, b"GET / HTTP/1.1\r\n" + b"a:\r\n" * 250 + b"\r\n"),
    "refused-with-body": http(LIMIT100 | REFUSE, 0, b"POST /r HTTP/1.1\r\nContent-Length: 10\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
    "refused-no-body": http(REFUSE, 0, b"GET /r HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
    "deferred": http(DEFER | LIMIT100, 0, POST5 + GET),
    "deferred-dropped": http(DEFER | DROP | LIMIT100, 0, POST5 + GET),
    "deferred-close": http(DEFER | CLOSE, 0, GET),
    "deferred-dropped-expect": http(DEFER | DROP | LIMIT100, 5, b"POST /v1/reload HTTP/1.1\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\nx"),
    "close-mid-body": http(LIMIT100 | CLOSE, 0, b"POST /p HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"),
    "leading-crlf": http(0, 0, b"\r\nGET / HTTP/1.1\r\n\r\n"),
    "empty": http(0, 0, b""),
}
os.makedirs(os.path.join(here, "corpus", "http"), exist_ok=True)
for k, v in requests.items():
    with open(os.path.join(here, "corpus", "http", k), "wb") as f:
        f.write(v)
