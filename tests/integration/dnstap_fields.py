#!/usr/bin/env python3
"""Print the fields of every message of a dnstap Frame Streams file that
dnstap-read does not show, decoded from the protobuf wire format by hand
(independently of the protobuf-c code gslbd and gslbctl use):

    TYPE ID FAMILY PROTOCOL POLICY-TYPE POLICY-RULE POLICY-ACTION POLICY-MATCH POLICY-VALUE | EXTRA

TYPE is AQ or AR, ID the DNS message ID, '-' for what is absent. With
--bytes FILE: "TYPE ID FAMILY PROTOCOL HEX" instead, HEX the query (AQ) or
response (AR) message. Exit 1 when the file is not a dnstap Frame Streams
file."""
import struct
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """{field number: [values]} of one protobuf message."""
    out = {}
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = struct.unpack("<I", b[i:i + 4])[0]
            i += 4
        elif wt == 1:
            v = struct.unpack("<Q", b[i:i + 8])[0]
            i += 8
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def frames(data):
    """The data frames of a Frame Streams file; checks the content type."""
    i = 0
    (esc,) = struct.unpack(">I", data[0:4])
    if esc != 0:
        raise ValueError("no START control frame")
    (clen,) = struct.unpack(">I", data[4:8])
    if b"protobuf:dnstap.Dnstap" not in data[8:8 + clen]:
        raise ValueError("content type is not protobuf:dnstap.Dnstap")
    i = 8 + clen
    while i + 4 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        i += 4
        if n == 0:  # a control frame: STOP ends the stream
            (clen,) = struct.unpack(">I", data[i:i + 4])
            i += 4 + clen
            continue
        yield data[i:i + n]
        i += n


def main():
    raw = sys.argv[1] == "--bytes"
    data = open(sys.argv[-1], "rb").read()
    names = {1: "AQ", 2: "AR"}
    actions = {1: "NXDOMAIN", 2: "NODATA", 3: "PASS", 4: "DROP", 5: "TRUNCATE", 6: "LOCAL_DATA"}
    matches = {1: "QNAME", 2: "CLIENT_IP", 3: "RESPONSE_IP", 4: "NS_NAME", 5: "NS_IP"}
    try:
        for f in frames(data):
            d = fields(f)
            m = fields(d[14][0])
            mtype = names.get(m[1][0], str(m[1][0]))
            msg = m.get(10 if mtype == "AQ" else 14, [b""])[0]
            mid = str(struct.unpack(">H", msg[0:2])[0]) if len(msg) >= 2 else "-"
            fam = {1: "INET", 2: "INET6"}.get(m.get(2, [0])[0], "-")
            proto = {1: "UDP", 2: "TCP"}.get(m.get(3, [0])[0], "-")
            if raw:
                print(" ".join([mtype, mid, fam, proto, msg.hex() or "-"]))
                continue
            pol = ["-"] * 5
            if 15 in m:
                p = fields(m[15][0])
                pol = [p.get(1, [b"-"])[0].decode(), p.get(2, [b"-"])[0].decode(),
                       actions.get(p.get(3, [0])[0], "-"), matches.get(p.get(4, [0])[0], "-"),
                       p.get(5, [b"-"])[0].decode() or "-"]
            extra = d.get(3, [b""])[0].decode()
            print(" ".join([mtype, mid, fam, proto] + pol) + " | " + extra)
    except (ValueError, KeyError, IndexError, struct.error) as e:
        print("not a dnstap file: %s" % e, file=sys.stderr)
        sys.exit(1)


main()
