#!/usr/bin/env python3
"""The queries of dist/grafana/gslbd.json, for tests/prometheus/rules.sh and
tests/integration/prometheus.sh.

Every target of every panel (rows' panels too) and every annotation has an
`expr`; template variables are substituted the way Grafana would:
$instance and $pool by a regex of the values chosen, $__rate_interval by an
interval.

  dashboard.py rules DASHBOARD OUT
      Write every expr (variables set to ".*", $__rate_interval to 1m) as
      a recording rule into OUT, for `promtool check rules` to parse; print
      every gslbd_ metric name the dashboard uses, one per line.
  dashboard.py query DASHBOARD URL --deadline SECONDS [--rate-interval 15s]
      Against the Prometheus at URL: resolve the template variables with
      their own queries (label_values), then evaluate every expr through
      /api/v1/query, for every pool alone and for all of them, until each
      returns data or the deadline passes (polling, no fixed waits).
      Exit 0 when all returned data, 1 otherwise (listing those that did not).

Python's standard library only.
"""
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def exprs(dash):
    """(where, expr) for every target of every panel and every annotation."""
    out = []
    for p in walk_panels(dash.get("panels", [])):
        if p.get("type") == "row":
            continue
        targets = p.get("targets", [])
        if not targets:
            raise SystemExit("panel %r has no target" % p.get("title"))
        for t in targets:
            if not t.get("expr"):
                raise SystemExit("panel %r has a target without expr" % p.get("title"))
            out.append(("panel %r %s" % (p["title"], t.get("refId", "")), t["expr"]))
    for a in dash.get("annotations", {}).get("list", []):
        if "expr" in a:
            out.append(("annotation %r" % a["name"], a["expr"]))
    return out


def substitute(expr, values, rate_interval):
    def var(m):
        name = m.group(1) or m.group(2)
        if name == "__rate_interval":
            return rate_interval
        if name not in values:
            raise SystemExit("unknown template variable $%s in %s" % (name, expr))
        return values[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, expr)


def regex_of(vals):
    """The values as one regex, inside a PromQL string (backslashes doubled),
    as Grafana writes a multi-value variable."""
    rx = "|".join(re.escape(v) for v in vals) if vals else "^$"
    return rx.replace("\\", "\\\\")


def cmd_rules(dash, out):
    values = {v["name"]: ".*" for v in dash["templating"]["list"]}
    names = set()
    with open(out, "w") as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for i, (where, e) in enumerate(exprs(dash)):
            q = substitute(e, values, "1m")
            names.update(re.findall(r"\bgslbd_[a-z0-9_]+", q))
            f.write("      - record: dashboard_query_%d\n        expr: %s\n" % (i, json.dumps(q)))
        for v in dash["templating"]["list"]:
            if v["type"] == "query":
                names.update(re.findall(r"\bgslbd_[a-z0-9_]+", v["query"]["query"]))
    for n in sorted(names):
        print(n)


def api(url, query):
    with urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode({"query": query}),
                                timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (query, body))
    return body["data"]["result"]


def label_values(url, q, values):
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q.strip())
    if not m:
        raise SystemExit("template query not understood: %s" % q)
    sel, label = substitute(m.group(1), values, "1m"), m.group(2)
    return sorted({s["metric"][label] for s in api(url, "group by (%s) (%s)" % (label, sel))
                   if label in s["metric"]})


def cmd_query(dash, url, deadline, rate_interval):
    end = time.monotonic() + deadline
    missing = None
    while True:
        try:
            values, chosen = {}, {}
            for v in dash["templating"]["list"]:
                if v["type"] == "query":
                    chosen[v["name"]] = label_values(url, v["query"]["query"], values)
                    values[v["name"]] = regex_of(chosen[v["name"]])
            checks = []
            for pool in [None] + chosen.get("pool", []):
                vals = dict(values)
                if pool is not None:
                    vals["pool"] = regex_of([pool])
                for where, e in exprs(dash):
                    checks.append(("%s pool=%s" % (where, pool or "All"),
                                   substitute(e, vals, rate_interval)))
            missing = []
            for where, q in checks:
                res = api(url, q)
                if not res:
                    missing.append((where, q))
            if not chosen.get("instance") or not chosen.get("pool"):
                missing.append(("template variables", json.dumps(chosen)))
        except urllib.error.HTTPError as e:
            missing = [("error", "%s: %s" % (e, e.read()[:300]))]
        except (OSError, RuntimeError) as e:
            missing = [("error", str(e))]
        if not missing:
            print("dashboard: %d queries returned data (instances %s, pools %s)"
                  % (len(checks), chosen["instance"], chosen["pool"]))
            return 0
        if time.monotonic() >= end:
            for where, q in missing:
                print("no data: %s: %s" % (where, q))
            return 1
        time.sleep(0.5)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "rules":
        with open(sys.argv[2]) as f:
            return cmd_rules(json.load(f), sys.argv[3])
    if len(sys.argv) >= 4 and sys.argv[1] == "query":
        args = sys.argv[4:]
        opts = dict(zip(args[::2], args[1::2]))
        with open(sys.argv[2]) as f:
            dash = json.load(f)
        return cmd_query(dash, sys.argv[3], float(opts.get("--deadline", "60")),
                         opts.get("--rate-interval", "15s"))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
