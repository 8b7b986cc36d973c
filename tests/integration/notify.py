#!/usr/bin/env python3
"""A stand-in secondary for tests/integration/notify.sh: receives NOTIFY on
127.0.0.1:PORT (printed on stdout once bound), ignores the first IGNORE
messages of each zone, then answers NOERROR (or REFUSED for zones named in
REFUSE). Logs "MONOTONIC_MS ZONE ID" per message received to LOG."""
import socket
import sys
import time

port_file, log_path, ignore, refuse = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(port_file, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
seen = {}
log = open(log_path, "a", buffering=1)
while True:
    data, peer = s.recvfrom(4096)
    if len(data) < 12 or (data[2] >> 3) & 15 != 4 or data[2] & 0x80:
        continue
    pos, labels = 12, []
    while data[pos]:
        labels.append(data[pos + 1:pos + 1 + data[pos]].decode())
        pos += 1 + data[pos]
    zone = ".".join(labels)
    qend = pos + 5
    seen[zone] = seen.get(zone, 0) + 1
    log.write("%d %s %d\n" % (time.monotonic() * 1000, zone, data[0] << 8 | data[1]))
    if seen[zone] <= ignore:
        continue
    rcode = 5 if zone in refuse else 0
    resp = data[0:2] + bytes([0x80 | (4 << 3) | 0x04, rcode]) + b"\x00\x01\x00\x00\x00\x00\x00\x00"
    s.sendto(resp + data[12:qend], peer)
