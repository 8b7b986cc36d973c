#!/usr/bin/env python3
"""Idle TCP connections held against a DNS server (tests/integration/tcpcap.sh).

    tcphold.py HOST PORT STATUS SECONDS COUNT SRC [SRC...]

Opens COUNT connections from each source address SRC (all of 127.0.0.0/8 is
local on Linux), sends nothing on them, and holds them for SECONDS. Every
50 ms it writes to the file STATUS one line of counts: connected (the
handshake completed), open (not closed by the server) and closed, in all
and per source ("open_SRC=N"). A connection the server accepted and then
closed, or reset, counts as closed; one refused at connect as failed.
"""
import errno
import os
import socket
import sys
import time


def main():
    if len(sys.argv) < 7:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, port, status = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seconds, count, sources = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6:]
    conns = []  # [source, socket or None when closed]
    failed = 0
    for src in sources:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.bind((src, 0))
                s.connect((host, port))
            except OSError:
                failed += 1
                s.close()
                continue
            s.setblocking(False)
            conns.append([src, s])
    end = time.monotonic() + seconds
    while True:
        per = {src: 0 for src in sources}
        for c in conns:
            if c[1] is None:
                continue
            try:
                closed = c[1].recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:
                closed = False
            except OSError as e:
                closed = e.errno != errno.EAGAIN
            if closed:
                c[1].close()
                c[1] = None
            else:
                per[c[0]] += 1
        opened = sum(per.values())
        line = "connected=%d open=%d closed=%d failed=%d %s\n" % (
            len(conns), opened, len(conns) - opened, failed,
            " ".join("open_%s=%d" % (k, v) for k, v in per.items()))
        tmp = status + ".tmp"
        with open(tmp, "w") as f:
            f.write(line)
        os.rename(tmp, status)
        if time.monotonic() >= end:
            return 0
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
