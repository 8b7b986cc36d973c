#!/usr/bin/env python3
"""Drive headless Chromium through the DevTools protocol for statuspage.sh.

Loads the gslbd status page, waits until every datacenter shows "up" in the
DOM (table row and map marker), writes a screenshot, sends SIGTERM to the
backend of one datacenter and measures how long the page takes to show it
"down"; then writes a second screenshot. Any JavaScript exception, console
error or failed page load fails the run. Python's standard library only:
the WebSocket client below does just what the protocol needs (text frames,
client masking, 16/64-bit lengths).

Then (with --drain) drains another datacenter through the admin API and
waits until the history (GET /v1/history, drawn in the "Last hour"
section) shows both: the victim's timeline row has a "down" band and a
"down" event marker, the drained one a "drained" band, the event table
lists both, and the answer share has been drawn; a third screenshot shows
the section.

Usage: statuspage.py --chromium BIN --url URL --profile DIR --expect DC,DC
                     --victim DC --kill-pid PID --bound-ms MS
                     --screenshot PNG --screenshot-down PNG [--timeout-factor N]
                     [--drain DC --token TOKEN --screenshot-history PNG]
Prints "page: ..." lines; exit status 0 pass, 1 fail.
"""
import argparse
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request


def now_ms():
    return int(time.monotonic() * 1000)


class Fail(Exception):
    pass


class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            ("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise Fail("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise Fail("DevTools refused the WebSocket: %r" % head[:200])
        self.buf = b""

    def send(self, text):
        data = text.encode()
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Fail("DevTools closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise Fail("DevTools closed the WebSocket")
            if opcode in (0, 1, 2):
                message += payload
                if b0 & 0x80:
                    return message.decode()


class Page:
    """One page target; collects console errors and exceptions as they come."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.errors = []
        self.load_failed = None

    def _event(self, msg):
        method = msg.get("method")
        p = msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: %s %s" % (
                d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (
                p["type"], " ".join(str(a.get("value", a.get("description", "")))
                                    for a in p.get("args", []))))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            e = p["entry"]
            self.errors.append("log: %s %s" % (e.get("text", ""), e.get("url", "")))
        elif method == "Network.loadingFailed" and p.get("type") == "Document":
            self.load_failed = p.get("errorText")

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise Fail("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._event(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %s: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def check_errors(self):
        if self.errors:
            raise Fail("JavaScript errors on the page: " + "; ".join(self.errors))

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))


# What the test reads from the DOM: each datacenter's table state and map
# marker state, the connection line and the page's own error box.
SNAPSHOT_JS = r"""(function () {
  if (!document.getElementById('conn')) return 'null';
  var out = {dcs: {}, conn: '', jsError: '', js: document.documentElement.getAttribute('data-js')};
  document.querySelectorAll('#dc-table tbody tr').forEach(function (tr) {
    var i = tr.id.replace('dc-', '');
    var dot = document.getElementById('m-dc-' + i);
    out.dcs[tr.getAttribute('data-name')] = {
      row: tr.getAttribute('data-state'),
      badge: tr.querySelector('.badge').textContent,
      map: dot ? dot.getAttribute('data-state') : null,
      mapClass: dot ? dot.getAttribute('class') : null,
      reason: tr.querySelector('.reason').textContent};
  });
  out.links = Array.prototype.map.call(document.querySelectorAll('#links .link'),
    function (g) { return g.getAttribute('class') + '|' + g.querySelector('text').textContent; });
  out.timeline = {};
  document.querySelectorAll('#timeline g.tl-row').forEach(function (g) {
    out.timeline[g.getAttribute('data-name')] = {
      bands: Array.prototype.map.call(g.querySelectorAll('rect.band'),
        function (r) { return r.getAttribute('data-state'); }),
      events: Array.prototype.map.call(g.querySelectorAll('g.ev'),
        function (e) { return e.getAttribute('data-event'); })};
  });
  out.events = Array.prototype.map.call(document.querySelectorAll('#event-table tbody tr'),
    function (tr) { return tr.getAttribute('data-event') + ':' + tr.getAttribute('data-about'); });
  out.share = Array.prototype.map.call(document.querySelectorAll('#share rect.share'),
    function (r) { return r.getAttribute('data-name'); });
  out.conn = document.getElementById('conn').textContent;
  var e = document.getElementById('js-error');
  out.jsError = e.hidden ? '' : e.textContent;
  return JSON.stringify(out);
})()"""


def main():
    ap = argparse.ArgumentParser()
    for a in ("chromium", "url", "profile", "expect", "victim", "screenshot", "screenshot_down"):
        ap.add_argument("--" + a.replace("_", "-"), required=True)
    ap.add_argument("--kill-pid", type=int, required=True)
    ap.add_argument("--bound-ms", type=int, required=True)
    ap.add_argument("--timeout-factor", type=float, default=1)
    ap.add_argument("--drain")
    ap.add_argument("--token")
    ap.add_argument("--screenshot-history")
    args = ap.parse_args()
    tf = args.timeout_factor
    expect = args.expect.split(",")

    os.makedirs(args.profile, exist_ok=True)
    log = open(os.path.join(args.profile, "..", "chromium.log"), "w")
    # The flags this machine needs for a headless Chromium without network,
    # and port 0 for DevTools (the port comes back in DevToolsActivePort).
    browser = subprocess.Popen(
        [args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--user-data-dir=" + args.profile, "--remote-debugging-port=0",
         "--remote-allow-origins=*", "--window-size=1280,1100", "about:blank"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        return run(args, browser, expect, tf)
    except Fail as e:
        print("FAIL: page: %s" % e)
        return 1
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


def run(args, browser, expect, tf):
    portfile = os.path.join(args.profile, "DevToolsActivePort")
    deadline = now_ms() + int(30000 * tf)
    while not (os.path.exists(portfile) and os.path.getsize(portfile) > 0):
        if browser.poll() is not None:
            raise Fail("chromium exited with %d (see chromium.log)" % browser.returncode)
        if now_ms() > deadline:
            raise Fail("chromium did not open its DevTools port within %ds" % (30 * tf))
        time.sleep(0.05)
    port = int(open(portfile).read().split()[0])
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10))
    page_target = [t for t in targets if t.get("type") == "page"][0]
    page = Page(page_target["webSocketDebuggerUrl"])
    for domain in ("Runtime", "Log", "Page", "Network"):
        page.call(domain + ".enable")
    t0 = now_ms()
    nav = page.call("Page.navigate", url=args.url)
    if nav.get("errorText"):
        raise Fail("the page did not load: %s" % nav["errorText"])

    def snap():
        s = json.loads(page.eval(SNAPSHOT_JS) or "null")
        page.check_errors()
        if page.load_failed:
            raise Fail("the page did not load: %s" % page.load_failed)
        if s and s["jsError"]:
            raise Fail("the page reports: %s" % s["jsError"])
        return s

    def wait_for(pred, ms, what):
        end = now_ms() + ms
        last = None
        while True:
            try:
                last = snap()
            except RuntimeError as e:  # page still loading
                last = {"error": str(e)}
            if last and "dcs" in last and pred(last):
                return last
            if now_ms() > end:
                raise Fail("%s within %d ms; page state: %s" % (what, ms, json.dumps(last)))
            time.sleep(0.05)

    def all_up(s):
        return s["conn"] == "live" and all(
            s["dcs"].get(d, {}).get("row") == "up" and s["dcs"][d]["map"] == "up" and
            s["dcs"][d]["badge"] == "up" for d in expect)

    s = wait_for(lambda s: s.get("js") == "on" and set(expect) <= set(s["dcs"]),
                 int(10000 * tf), "the page's script did not start or lists no datacenters")
    print("page: loaded and scripted after %d ms" % (now_ms() - t0))
    s = wait_for(all_up, int(15000 * tf), "not every datacenter shows up")
    ups = [l for l in s["links"] if "v-up" in l.split("|")[0]]
    if not ups or not any(l.split("|")[1].endswith(" ms") for l in ups):
        raise Fail("no probe line shows an up verdict with an RTT: %s" % s["links"])
    print("page: every datacenter up (%s), %d probe lines up" % (", ".join(expect), len(ups)))
    page.screenshot(args.screenshot)
    print("page: screenshot %s" % args.screenshot)

    os.kill(args.kill_pid, signal.SIGTERM)
    t_kill = now_ms()
    s = wait_for(lambda s: s["dcs"][args.victim]["row"] == "down" and
                 s["dcs"][args.victim]["map"] == "down" and
                 "st-down" in s["dcs"][args.victim]["mapClass"],
                 int(args.bound_ms * tf), "%s not shown down" % args.victim)
    took = now_ms() - t_kill
    print("page: %s shown down %d ms after its backend was killed (bound %d ms); reason: %s" % (
        args.victim, took, args.bound_ms, s["dcs"][args.victim]["reason"]))
    for d in expect:
        if d != args.victim and s["dcs"][d]["row"] != "up":
            raise Fail("%s should stay up, the page shows %s" % (d, s["dcs"][d]["row"]))
    if not any("v-down" in l.split("|")[0] for l in s["links"]):
        raise Fail("no probe line shows a down verdict: %s" % s["links"])
    page.screenshot(args.screenshot_down)
    print("page: screenshot %s" % args.screenshot_down)
    if args.drain:
        history(args, page, wait_for, tf)
    page.check_errors()
    return 0


def history(args, page, wait_for, tf):
    req = urllib.request.Request(args.url.rstrip("/") + "/v1/datacenters/%s/drain" % args.drain,
                                 method="POST", headers={"Authorization": "Bearer " + args.token})
    with urllib.request.urlopen(req, timeout=10 * tf) as r:
        if r.status != 200:
            raise Fail("drain of %s answered %d" % (args.drain, r.status))
    t_drain = now_ms()

    def shows(s):
        tl = s.get("timeline", {})
        v, d = tl.get(args.victim, {}), tl.get(args.drain, {})
        return ("down" in v.get("bands", []) and "up" in v.get("bands", []) and
                "down" in v.get("events", []) and
                d.get("bands", [])[-1:] == ["drained"] and "drained" in d.get("events", []) and
                "down:%s" % args.victim in s["events"] and
                "drained:%s" % args.drain in s["events"] and len(s["share"]) > 0)

    s = wait_for(shows, int(15000 * tf),
                 "the history does not show %s down and %s drained" % (args.victim, args.drain))
    print("page: history shows %s down and %s drained %d ms after the drain; timeline %s; "
          "events %s" % (args.victim, args.drain, now_ms() - t_drain,
                         json.dumps(s["timeline"]), s["events"]))
    page.eval("document.getElementById('history').scrollIntoView()")
    page.screenshot(args.screenshot_history)
    print("page: screenshot %s" % args.screenshot_history)


if __name__ == "__main__":
    sys.exit(main())
