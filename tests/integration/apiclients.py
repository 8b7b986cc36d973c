#!/usr/bin/env python3
"""Clients of the HTTP API that do not play along (apiclients.sh).

  apiclients.py pipeline PORT PID CONNS BYTES GO: CONNS connections each
      send up to BYTES of pipelined GET /metrics and never read; prints
      gslbd's VmHWM growth (hwm_growth_kb=N) and how much was sent, then
      keeps them open until the file GO exists.
  apiclients.py reload-gone PORT TOKEN GO: POST /v1/reload on three
      connections (one with Expect: 100-continue and a body) that go away
      once the file GO exists: two reset, one closed.
  apiclients.py silent PORT [BYTES]: connect, send BYTES (hex; none by
      default) and nothing more; prints how long until gslbd closed
      (closed_after_ms=N).
  apiclients.py reload-half PORT TOKEN: POST /v1/reload, then a half close
      (no more to send); the reply must still come: prints its status line.
"""
import os
import socket
import struct
import sys
import time

TF = 1


def wait_file(path):
    """Poll for the shell's go (a file), with a deadline."""
    deadline = time.monotonic() + 120 * TF
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit("FAIL: no go from the shell")
        time.sleep(0.02)


def rss_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def reset(s):
    """Close with a reset (SO_LINGER 0): the server's next write fails."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def pipeline(port, pid, conns, limit, go):
    port, pid, conns, limit = int(port), int(pid), int(conns), int(limit)
    req = b"GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n"
    batch = req * 256
    hwm0 = rss_hwm_kb(pid)
    socks, sent = [], []
    for _ in range(conns):
        # a small receive window (set before connecting), never read:
        # replies pile up in gslbd
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
        sent.append(0)
    # Send until every connection stops taking more (its send buffer and
    # gslbd's input full) or the limit is reached.
    deadline = time.monotonic() + 20
    stalled_since = None
    while time.monotonic() < deadline:
        progress = False
        for i, s in enumerate(socks):
            if sent[i] >= limit:
                continue
            try:
                n = s.send(batch)
                sent[i] += n
                progress = progress or n > 0
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                sent[i] = limit  # cut by gslbd
        if all(n >= limit for n in sent):
            break
        if progress:
            stalled_since = None
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 1.0:
            break
        else:
            time.sleep(0.01)
    hwm1 = rss_hwm_kb(pid)
    total = sum(sent)
    print("pipeline: %d connections sent %d KB (%d requests) of GET /metrics, read nothing"
          % (conns, total >> 10, total // len(req)), flush=True)
    print("rss: VmHWM %d -> %d MB" % (hwm0 >> 10, hwm1 >> 10), flush=True)
    print("hwm_growth_kb=%d" % (hwm1 - hwm0), flush=True)
    # keep them open (unread) until the shell has seen them cut
    wait_file(go)
    for s in socks:
        s.close()


def reload_req(token, extra=b"", length=0):
    return (b"POST /v1/reload HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer "
            + token.encode() + b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % length)


def reload_gone(port, token, go):
    port = int(port)
    # b's 100 Continue first, while no reload runs: then the three
    # requests are sent at once, and all reach gslbd while the first
    # reload runs, even when that reload leaves its main loop little time
    # (under valgrind, one thread runs at a time).
    b = connect(port)
    b.sendall(reload_req(token, b"Expect: 100-continue\r\n", 1))
    b.recv(64)  # the 100 Continue
    a = connect(port)
    c = connect(port)
    a.sendall(reload_req(token))
    c.sendall(reload_req(token))
    b.sendall(b"x")
    print("reload-gone: three reloads asked for", flush=True)
    # Each request must be in gslbd (its reload asked for) before its
    # client goes: the shell says so once the log shows them.
    wait_file(go)
    reset(a)
    reset(b)
    c.close()
    print("reload-gone: three clients gone before their reply", flush=True)


def reload_half(port, token):
    s = connect(port)
    s.settimeout(60 * TF)
    s.sendall(reload_req(token))
    s.shutdown(socket.SHUT_WR)
    got = b""
    while b"\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
    print("status=%s" % got.split(b"\r\n")[0].decode(errors="replace"), flush=True)
    s.close()


def silent(port, hexbytes=""):
    s = connect(int(port))
    s.settimeout(120 * TF)
    t0 = time.monotonic()
    s.sendall(bytes.fromhex(hexbytes))
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    print("closed_after_ms=%d" % ((time.monotonic() - t0) * 1000), flush=True)
    s.close()


if __name__ == "__main__":
    TF = int(os.environ.get("TF", "1"))
    {"pipeline": pipeline, "reload-gone": reload_gone,
     "reload-half": reload_half, "silent": silent}[sys.argv[1]](*sys.argv[2:])
