#!/usr/bin/env python3
"""Hostile clients of gslbd's HTTP API for tests/integration/apiguard.sh.

apiguard.py ATTACK PORT [ARGS...] runs one attack against 127.0.0.1:PORT
while a watcher polls /healthz from MONITOR_ADDR (another /24 than the
attackers, so their per-client cap does not apply to it) and prints its
p99 latency. Prints "key=value" lines for the shell to check; exits 1
with a message when what it sees is wrong. Every wait has a deadline."""

import os
import resource
import selectors
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
MONITOR_ADDR = "127.0.1.1"
TF = float(os.environ.get("TF", "1"))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def connect(port, src=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src is not None:
        s.bind((src, 0))
    s.settimeout(timeout * TF)
    s.connect((HOST, port))
    return s


def read_response(s, deadline=5.0):
    """Read one response (status line, headers, Content-Length body).
    Returns (status, headers dict (lower-case names), body, closed)."""
    s.settimeout(deadline * TF)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return (None, {}, b"", True)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return (status, headers, rest, False)


def wait_closed(s, deadline):
    """Seconds until the peer closes s (reading and dropping what comes),
    or None at the deadline."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < deadline * TF:
        try:
            if not s.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
    return None


class Monitor(threading.Thread):
    """Polls GET /healthz on a fresh connection every 20 ms."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.lat = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                s = connect(self.port, MONITOR_ADDR, 2.0)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n")
                st, _, _, _ = read_response(s, 2.0)
                s.close()
                if st != 200:
                    self.failures += 1
                else:
                    self.lat.append((time.monotonic() - t0) * 1000)
            except OSError:
                self.failures += 1
            self.stop.wait(0.02)

    def report(self, name):
        self.stop.set()
        self.join()
        lat = sorted(self.lat)
        if not lat:
            fail("%s: /healthz never answered during the attack" % name)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print("healthz_%s: p99 %.1f ms, max %.1f ms, %d answered, %d failed"
              % (name, p99, lat[-1], len(lat), self.failures), flush=True)
        if self.failures:
            fail("%s: /healthz failed %d times during the attack" % (name, self.failures))


def rss_kb(pid):
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def holders(port, n, pid, body_len, key=None):
    """n connections announce a body of body_len bytes without a token or a
    probe key and then push all of it. Each must be refused on its headers
    (401, 403, 413, or 429 once the network failed too often) and gslbd's memory must not grow with the bodies."""
    n, pid, body_len = int(n), int(pid), int(body_len)
    # With a probe's key (no secret: status shows it) reports get their
    # bodies read, up to the server's budget; the rest wait (503).
    auth = b""
    if key is not None:
        auth = (b"X-GSLB-Key: " + key.encode() + b"\r\nX-GSLB-Boot: 0123456789abcdef\r\n"
                b"X-GSLB-Seq: 1\r\nX-GSLB-Timestamp: %d\r\n"
                b"X-GSLB-Signature: 00\r\n" % int(time.time() * 1000))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    rss0, hwm0 = rss_kb(pid)
    paths = [b"/v1/reports", b"/v1/reload", b"/v1/datacenters/us-east/drain"]
    sel = selectors.DefaultSelector()
    states = []
    t0 = time.monotonic()
    for i in range(n):
        s = connect(port)
        path = paths[i % len(paths)] if key is None else paths[0]
        s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: h\r\n" + auth +
                  b"Content-Type: application/json\r\nContent-Length: "
                  + str(body_len).encode() + b"\r\n\r\n")
        s.setblocking(False)
        st = {"sock": s, "sent": 0, "resp": b"", "open": True}
        states.append(st)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    chunk = b"x" * 65536
    deadline = time.monotonic() + 60 * TF
    open_count = n
    while open_count and time.monotonic() < deadline:
        for key, ev in sel.select(0.5):
            s, st = key.fileobj, key.data
            try:
                if ev & selectors.EVENT_READ:
                    data = s.recv(65536)
                    if not data:
                        raise ConnectionResetError
                    st["resp"] += data
                if ev & selectors.EVENT_WRITE and st["sent"] < body_len:
                    st["sent"] += s.send(chunk[:body_len - st["sent"]])
                    if st["sent"] >= body_len:
                        sel.modify(s, selectors.EVENT_READ, st)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                sel.unregister(s)
                st["open"] = False
                open_count -= 1
    elapsed = time.monotonic() - t0
    rss1, hwm1 = rss_kb(pid)
    refused = sum(1 for st in states if st["resp"][:12] in
                  (b"HTTP/1.1 401", b"HTTP/1.1 403", b"HTTP/1.1 413", b"HTTP/1.1 429",
                   b"HTTP/1.1 503"))
    busy = sum(1 for st in states if st["resp"][:12] == b"HTTP/1.1 503")
    sent = sum(st["sent"] for st in states)
    for st in states:
        st["sock"].close()
    print("holders: %d connections announcing %d bytes each; %d refused "
          "(%d of them 503: no room for another body), %d still open after %.1f s; %d MB of body pushed into sockets"
          % (n, body_len, refused, busy, open_count, elapsed, sent >> 20), flush=True)
    print("rss: VmRSS %d -> %d MB, VmHWM %d -> %d MB (growth %d MB)"
          % (rss0 >> 10, rss1 >> 10, hwm0 >> 10, hwm1 >> 10, (hwm1 - hwm0) >> 10),
          flush=True)
    print("hwm_growth_kb=%d" % (hwm1 - hwm0))
    print("refused=%d" % refused)
    print("busy=%d" % busy)
    if refused != n:
        fail("%d of %d body holders were not refused" % (n - refused, n))


def trickle(s, limit, most=None):
    """Send one byte on s every 0.5 s (at most most bytes) until gslbd
    closes it or limit + 10 s (times TF) pass. Returns what came back and
    the seconds it took."""
    t0 = time.monotonic()
    resp = b""
    s.settimeout(0.5)
    sent = 0
    while time.monotonic() - t0 < (limit + 10) * TF and (most is None or sent < most):
        try:
            s.sendall(b"X")
            sent += 1
        except OSError:
            break
        try:
            data = s.recv(65536)
            if not data:
                break
            resp += data
        except socket.timeout:
            pass
        except OSError:
            break
    return resp, time.monotonic() - t0


def expect_cut(name, resp, took, limit):
    """A trickle (see trickle()) was answered 408 at its deadline, limit."""
    print("%s: cut after %.1f s (deadline %.1f s): %r" % (name, took, limit, resp[:12]),
          flush=True)
    if not resp.startswith(b"HTTP/1.1 408"):
        fail("%s: not cut with 408 (got %r after %.1f s)" % (name, resp[:40], took))
    if took < limit * 0.9 or took > limit + 2 * TF:
        fail("%s: cut after %.1f s, the deadline is %.1f s" % (name, took, limit))


def slow_headers(port, timeout_s):
    """One header byte every 0.5 s: cut at the header deadline with 408."""
    limit = float(timeout_s)
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
    resp, took = trickle(s, limit)
    expect_cut("slow_headers", resp, took, limit)


def slow_body(port, timeout_s, token):
    """A reload with the admin token and a 100-byte body sent a byte every
    0.5 s: cut at the body deadline with 408, nothing reloaded. (From a
    network of its own: 127.0.0.1 may have failed too often by now.)"""
    limit = float(timeout_s)
    s = connect(port, "127.0.5.1")
    s.sendall(b"POST /v1/reload HTTP/1.1\r\nHost: slow\r\nAuthorization: Bearer "
              + token.encode() + b"\r\nContent-Length: 100\r\n\r\n")
    resp, took = trickle(s, limit, most=99)
    expect_cut("slow_body", resp, took, limit)


def is_refused(s):
    """Was s closed by gslbd without an answer?"""
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: c\r\n\r\n")
        st, _, _, closed = read_response(s, 2.0)
        return closed
    except OSError:
        return True


def caps(port, per_client, total):
    """per_client connections from 127.0.0.1 are accepted, one more is
    closed; other networks fill the total, one more is closed."""
    per_client, total = int(per_client), int(total)
    held = [connect(port, "127.0.0.1") for _ in range(per_client)]
    extra = connect(port, "127.0.0.1")
    if not is_refused(extra):
        fail("connection %d from 127.0.0.1 was served (per-client cap %d)"
             % (per_client + 1, per_client))
    print("caps: connection %d from 127.0.0.1/24 closed" % (per_client + 1), flush=True)
    # From another network: answered.
    s = connect(port, "127.0.2.1")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n")
    st, _, _, _ = read_response(s)
    if st != 200:
        fail("/healthz from 127.0.2.1 beside a capped client: %s" % st)
    s.close()
    # Other networks up to the total (one per network below the cap).
    net = 3
    while len(held) < total:
        for _ in range(min(per_client, total - len(held))):
            held.append(connect(port, "127.0.%d.1" % net))
        net += 1
    # Accepted connections are counted once gslbd has taken them: each
    # answers a request.
    for h in held:
        h.sendall(b"GET /healthz HTTP/1.1\r\nHost: c\r\n\r\n")
        st, _, _, _ = read_response(h)
        if st != 200:
            fail("a connection below the caps was not served: %s" % st)
    extra2 = connect(port, "127.0.%d.1" % (net + 1))
    if not is_refused(extra2):
        fail("connection %d in all was served (total cap %d)" % (total + 1, total))
    print("caps: connection %d in all closed" % (total + 1), flush=True)
    for h in held + [extra, extra2]:
        h.close()


def auth_flood(port, n, good_token):
    """n requests with wrong tokens on keep-alive connections: 429 with
    Retry-After comes quickly; the right token from the same network is
    throttled too, from another network it works."""
    n = int(n)
    codes = {}
    src = "127.0.6.1"  # a network that has not failed yet
    s = connect(port, src)
    t0 = time.monotonic()
    first429 = None
    for i in range(n):
        try:
            s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: f\r\nAuthorization: Bearer guess-%d\r\n\r\n"
                      % i)
            st, h, body, closed = read_response(s)
        except OSError:
            closed, st = True, None
        if closed:
            s = connect(port, src)
            continue
        cl = int(h.get("content-length", "0"))
        while len(body) < cl:
            body += s.recv(65536)
        codes[st] = codes.get(st, 0) + 1
        if st == 429 and first429 is None:
            first429 = i
            if "retry-after" not in h:
                fail("429 without Retry-After")
    took = time.monotonic() - t0
    print("auth_flood: %d requests in %.1f s: %s; first 429 at request %s"
          % (n, took, " ".join("%s=%d" % kv for kv in sorted(codes.items())), first429),
          flush=True)
    if first429 is None or first429 > 50:
        fail("no 429 within the first 50 failed tokens")
    for net, want in ((src, 429), ("127.0.3.1", 200)):
        c = connect(port, net)
        c.sendall(b"POST /v1/datacenters/nowhere/drain HTTP/1.1\r\nHost: f\r\n"
                  b"Connection: close\r\nAuthorization: Bearer "
                  + good_token.encode() + b"\r\nContent-Length: 0\r\n\r\n")
        st, _, _, _ = read_response(c)
        c.close()
        # the right token from elsewhere reaches the handler: 404, no such datacenter
        got = 200 if st == 404 else st
        if got != want:
            fail("the admin token from %s: HTTP %s" % (net, st))
    print("auth_flood: the admin token from %s gets 429, from 127.0.3.1 goes through" % src,
          flush=True)


def expect_status(port, request, want, what):
    """Send request on a new connection: the reply must be HTTP want (what
    names the request in the failure). Returns the connection."""
    s = connect(port)
    s.sendall(request)
    st, _, _, _ = read_response(s)
    if st != want:
        fail("%s: HTTP %s, expected %s" % (what, st, want))
    return s


def protocol(port):
    """HEAD has no body; NUL in a header gets 400; CONNECT gets 405 and
    the connection closes."""
    s = connect(port)
    s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: p\r\n\r\n")
    st, h, rest, _ = read_response(s)
    if st != 200 or h.get("content-length") != "3":
        fail("HEAD /healthz: %s %r" % (st, h))
    # The next bytes are the next reply's, not a body.
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n")
    time.sleep(0.2)  # let a stray body arrive if there is one (a bound, not a sync)
    data = rest
    s.settimeout(2 * TF)
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    if not data.startswith(b"HTTP/1.1 200"):
        fail("HEAD /healthz was followed by a body: %r" % data[:40])
    s.close()
    print("protocol: HEAD has Content-Length 3 and no body", flush=True)

    expect_status(port, b"GET /healthz HTTP/1.1\r\nHost: p\r\nX-Note: a\x00b\r\n\r\n", 400,
                  "a NUL in a header value").close()
    print("protocol: a NUL in a header value gets 400", flush=True)

    s = expect_status(port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                      405, "CONNECT")
    if wait_closed(s, 2.0) is None:
        fail("CONNECT: the connection stays open")
    s.close()
    print("protocol: CONNECT gets 405 and the connection closes", flush=True)

    expect_status(port, b"GET /healthz HTTP/1.1\r\nHost: p\r\nContent-Length: 10\r\n\r\n", 413,
                  "a GET with a body").close()
    expect_status(port, b"POST /v1/reports HTTP/1.1\r\nHost: p\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n", 411, "a chunked body").close()
    print("protocol: a GET with a body gets 413, a chunked body 411", flush=True)


def big_report(port, body_len):
    """A report over the hard limit: 413 on its headers."""
    expect_status(port, b"POST /v1/reports HTTP/1.1\r\nHost: r\r\nX-GSLB-Key: probe-x\r\n"
                  b"Content-Length: " + body_len.encode() + b"\r\n\r\n",
                  413, "a report of %s bytes" % body_len).close()
    print("big_report: %s bytes refused with 413" % body_len, flush=True)


def hold(port, n, ready):
    """Open n connections (those gslbd closes at once are let go), say so
    in the file ready, and hold them until killed."""
    n = int(n)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    held = []
    for _ in range(n):
        try:
            held.append(connect(port))
        except OSError:
            pass
    with open(ready, "w") as f:
        f.write("%d\n" % len(held))
    time.sleep(300)


ATTACKS = {
    "hold": hold,
    "holders": holders,
    "slow_headers": slow_headers,
    "slow_body": slow_body,
    "caps": caps,
    "auth_flood": auth_flood,
    "protocol": protocol,
    "big_report": big_report,
}


def main():
    attack, port = sys.argv[1], int(sys.argv[2])
    # The caps attack fills the total: nobody else may connect then.
    mon = Monitor(port) if attack not in ("caps", "hold") else None
    if mon is not None:
        mon.start()
        time.sleep(0.1)  # a first sample before the attack (not a synchronisation)
    ATTACKS[attack](port, *sys.argv[3:])
    if mon is not None:
        mon.report(attack)


if __name__ == "__main__":
    main()
