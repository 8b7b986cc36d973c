#!/usr/bin/env python3
"""An alert webhook receiver for tests/integration/alerts.sh.

    webhook.py PORT_FILE LOG SECRET FAIL_FIRST

Listens on 127.0.0.1 (a free port, written to PORT_FILE), answers the
first FAIL_FIRST POSTs with 500 and the rest with 204, and appends one
JSON line per POST to LOG: the path, the alert id and timestamp headers,
whether the signature (HMAC-SHA256 under SECRET of "POST\\n<path>\\n<ts>\\n"
+ body; SECRET "-" for none) matched, the status answered, and the body."""
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, log, secret, fail_first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-GSLB-Timestamp", "")
        sig = self.headers.get("X-GSLB-Signature")
        if secret == "-":
            signed = sig is None
        else:
            want = hmac.new(secret.encode(), b"POST\n" + self.path.encode() + b"\n" +
                            ts.encode() + b"\n" + body, hashlib.sha256).hexdigest()
            signed = sig is not None and hmac.compare_digest(want, sig)
        seen += 1
        status = 500 if seen <= fail_first else 204
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "id": self.headers.get("X-GSLB-Alert-Id"),
                                "ts": ts, "signed": signed, "status": status,
                                "body": json.loads(body)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
