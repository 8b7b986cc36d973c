#!/usr/bin/env python3
"""An HTTP proxy on loopback between gslb-probe and gslbd's API, standing in
for a hostile box on a plain-HTTP path (tests/integration/probeconfig.sh).

    configproxy.py UPSTREAM_PORT PORT_FILE MODE_FILE COUNT_FILE DATACENTER

Forwards every request to 127.0.0.1:UPSTREAM_PORT and writes its own port
to PORT_FILE. What it does to GET /v1/probe-config depends on the first
word of MODE_FILE, read at each request:
  pass     forwards as is
  rewrite  drops If-None-Match (so that a body comes back) and points
           DATACENTER's check at a port nobody listens on, keeping every
           header (the signature too); each rewrite is counted in COUNT_FILE
  block    answers 503 without asking gslbd (probes keep their config)
Reports are always forwarded unchanged."""
import http.client
import http.server
import json
import os
import socket
import sys

UPSTREAM = int(sys.argv[1])
PORT_FILE, MODE_FILE, COUNT_FILE, DATACENTER = sys.argv[2:6]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}

# A port that refuses connections: bound, never listening.
dead = socket.socket()
dead.bind(("127.0.0.1", 0))
DEAD_PORT = dead.getsockname()[1]
rewrites = 0


def mode():
    try:
        with open(MODE_FILE) as f:
            return (f.read().split() or ["pass"])[0]
    except OSError:
        return "pass"


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("proxy: " + fmt % args + "\n")

    def forward(self):
        global rewrites
        m = mode()
        is_config = self.path == "/v1/probe-config"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if is_config and m == "block":
            self.answer(503, [("Content-Type", "text/plain")], b"blocked by the proxy\n")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if is_config and m == "rewrite":
            headers.pop("If-None-Match", None)
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=10)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
        conn.close()
        if is_config and m == "rewrite" and resp.status == 200:
            cfg = json.loads(data)
            for c in cfg["checks"]:
                if c["datacenter"] == DATACENTER:
                    c["address"] = "127.0.0.1"
                    c["port"] = DEAD_PORT
            data = json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()
            rewrites += 1
            write_atomic(COUNT_FILE, str(rewrites))
        self.answer(resp.status, out, data)

    def answer(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    do_GET = forward
    do_POST = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
write_atomic(PORT_FILE, str(server.server_address[1]))
server.serve_forever()
