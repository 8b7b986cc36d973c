#!/usr/bin/env python3
"""Raw Ethernet frames for tests/integration/xdp.sh, sent with an AF_PACKET
socket from the client's side of the veth pair (root).

  xdpframes.py malformed IFACE DSTMAC SRC4 DST4 SRC6 DST6 PORT NAME
      Send malformed and unusual frames at the server and print one line
      per case: "CASE answered" or "CASE silent". Cases the kernel must see
      (IPv4 options, fragments, an IPv6 extension header) carry a valid
      query whose answer, if any, comes back to a UDP socket of ours.
  xdpframes.py flood IFACE DSTMAC NET DST4 PORT NAME SOURCES COUNT
      Queries for NAME (type A, no EDNS) from SOURCES spoofed addresses
      NET.(100+i).7 (each in a /24 of its own), COUNT from each, as fast as
      they go; prints "sent=N".
"""
import os
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def dns_query(name, qid=0x4242, qtype=1):
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def udp4(src, dst, sport, dport, payload, ulen=None):
    ulen = 8 + len(payload) if ulen is None else ulen
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def udp6(src, dst, sport, dport, payload):
    ulen = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!IxxxB", ulen, 17)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def ip4(src, dst, payload, ihl=5, options=b"", flags_frag=0, tot_len=None, ident=0x1111):
    tot = 4 * ihl + len(payload) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, flags_frag, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    c = csum(hdr)
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def ip6(src, dst, payload, nexthdr=17, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nexthdr, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


class Link:
    def __init__(self, iface, dstmac):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((iface, 0))
        self.src = self.s.getsockname()[4]
        self.dst = bytes.fromhex(dstmac.replace(":", ""))

    def send(self, ethertype, payload):
        self.s.send(self.dst + self.src + struct.pack("!H", ethertype) + payload)


def answered(sock, wait=1.0):
    r, _, _ = select.select([sock], [], [], wait)
    if not r:
        return False
    sock.recv(4096)
    return True


def malformed(iface, dstmac, src4, dst4, src6, dst6, port, name):
    port = int(port)
    link = Link(iface, dstmac)
    u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u4.bind((src4, 0))
    sp4 = u4.getsockname()[1]
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.bind((src6, 0))
    sp6 = u6.getsockname()[1]
    q = dns_query(name)
    good4 = udp4(src4, dst4, sp4, port, q)
    cases = []

    # Frames nobody can answer: short, bad headers, lengths that disagree.
    cases.append(("short-frame", u4, 0x0800, b"\x45\x00\x00"))
    cases.append(("ethernet-only", u4, 0x0800, b""))
    cases.append(("ipv4-ihl-4", u4, 0x0800, ip4(src4, dst4, good4, ihl=4)))
    cases.append(("ipv4-ihl-15-short", u4, 0x0800, ip4(src4, dst4, good4[:10], ihl=15, options=b"\x01" * 40)[:40]))
    cases.append(("ipv4-version-6", u4, 0x0800, b"\x65" + ip4(src4, dst4, good4)[1:]))
    cases.append(("ipv4-total-length-over-frame", u4, 0x0800, ip4(src4, dst4, good4, tot_len=20 + len(good4) + 100)))
    cases.append(("udp-length-over-ip", u4, 0x0800, ip4(src4, dst4, udp4(src4, dst4, sp4, port, q, ulen=8 + len(q) + 50))))
    cases.append(("udp-length-under-8", u4, 0x0800, ip4(src4, dst4, udp4(src4, dst4, sp4, port, q, ulen=4))))
    cases.append(("udp-header-cut", u4, 0x0800, ip4(src4, dst4, good4[:5])))
    cases.append(("dns-header-cut", u4, 0x0800, ip4(src4, dst4, udp4(src4, dst4, sp4, port, q[:5]))))
    cases.append(("ipv6-payload-length-over-frame", u6, 0x86DD,
                  ip6(src6, dst6, udp6(src6, dst6, sp6, port, q), plen=len(q) + 8 + 64)))
    cases.append(("ipv6-cut", u6, 0x86DD, ip6(src6, dst6, b"")[:30]))
    cases.append(("vlan-tagged", u4, 0x8100, struct.pack("!HH", 5, 0x0800) + ip4(src4, dst4, good4)))
    # What the kernel answers: the program passes these on to its sockets.
    cases.append(("ipv4-options", u4, 0x0800, ip4(src4, dst4, good4, ihl=6, options=b"\x01\x01\x01\x00")))
    frag_payload = good4
    cut = 16  # a multiple of 8
    cases.append(("ipv4-fragments", u4, 0x0800, [
        ip4(src4, dst4, frag_payload[:cut], flags_frag=0x2000, tot_len=20 + cut),
        ip4(src4, dst4, frag_payload[cut:], flags_frag=cut // 8, tot_len=20 + len(frag_payload) - cut)]))
    hbh = struct.pack("!BB", 17, 0) + b"\x01\x04\x00\x00\x00\x00"  # PadN
    cases.append(("ipv6-hop-by-hop", u6, 0x86DD, ip6(src6, dst6, hbh + udp6(src6, dst6, sp6, port, q), nexthdr=0)))
    # And a plain query each way, answered through XDP.
    cases.append(("ipv4-plain", u4, 0x0800, ip4(src4, dst4, good4)))
    cases.append(("ipv6-plain", u6, 0x86DD, ip6(src6, dst6, udp6(src6, dst6, sp6, port, q))))

    for label, sock, ethertype, frames in cases:
        if not isinstance(frames, list):
            frames = [frames]
        for f in frames:
            link.send(ethertype, f)
        print("%s %s" % (label, "answered" if answered(sock) else "silent"), flush=True)


def flood(iface, dstmac, net, dst4, port, name, sources, count):
    port, sources, count = int(port), int(sources), int(count)
    link = Link(iface, dstmac)
    q = dns_query(name)
    frames = []
    for i in range(sources):
        src = "%s.%d.7" % (net, 100 + i)
        frames.append(ip4(src, dst4, udp4(src, dst4, 20000 + i, port, q)))
    sent = 0
    for _ in range(count):
        for f in frames:
            link.send(0x0800, f)
            sent += 1
    print("sent=%d" % sent)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "malformed" and len(sys.argv) == 10:
        malformed(*sys.argv[2:])
    elif cmd == "flood" and len(sys.argv) == 10:
        flood(*sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
