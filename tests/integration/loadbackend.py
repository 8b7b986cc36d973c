#!/usr/bin/env python3
"""A datacenter backend that reports its load, for load.sh.

Serves on 127.0.0.1 (a free port, written to --port-file):
  GET /header   200 "ok" with the load in the header X-Load
  GET /json     200 {"stats": {"load": LOAD, "workers": 4}}
  GET /metrics  200 Prometheus text with app_load LOAD
  GET /bad      200 with X-Load: lots and a body that is not JSON
The load is the number in --demand-file, read at every request, so the
test changes it at run time. With --share-url and --dc the load follows the
traffic the datacenter keeps: demand x the datacenter's spill-over share in
gslbd's /v1/status (1 when it has none; the last one seen when gslbd does
not answer in time), as a real backend's would.
Python's standard library only. Stops on SIGTERM.
"""
import argparse
import os
import json
import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--demand-file", required=True)
    ap.add_argument("--share-url")
    ap.add_argument("--dc")
    args = ap.parse_args()

    last = {"share": 1.0}

    def share():
        # the last share seen when gslbd does not answer in time
        if not args.share_url:
            return 1.0
        try:
            with urllib.request.urlopen(args.share_url, timeout=0.3) as r:
                status = json.load(r)
            for dc in status.get("datacenters", []):
                if dc.get("name") == args.dc and "load" in dc:
                    last["share"] = float(dc["load"]["share"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return last["share"]

    def load():
        with open(args.demand_file) as f:
            demand = float(f.read().strip())
        return round(demand * share(), 3)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            headers = {}
            if self.path == "/header":
                body, headers["X-Load"] = b"ok", str(load())
            elif self.path == "/json":
                body = json.dumps({"stats": {"load": load(), "workers": 4}}).encode()
            elif self.path == "/metrics":
                body = ("# HELP app_load current load\n# TYPE app_load gauge\n"
                        'app_load{pool="web"} %s\n' % load()).encode()
            elif self.path == "/bad":
                body, headers["X-Load"] = b"<html>", "lots"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])

    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except SystemExit:
        pass


if __name__ == "__main__":
    main()
