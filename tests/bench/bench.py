#!/usr/bin/env python3
"""Helpers for tests/bench/run.sh: zone and query generation, free ports,
readiness polling, /proc sampling and dnsperf output parsing.

Only the Python standard library is used.

Subcommands (each prints its result on stdout):
  zone FILE ORIGIN HOSTS          write a master file with HOSTS host names;
                                  print "HOSTS RECORDS"
  zone-records FILE ORIGIN N      same, with about N records in all
  queries FILE ORIGIN HOSTS COUNT write a dnsperf query file (realistic mix)
  freeport                        print a port free for both UDP and TCP
  wait HOST PORT|@PORTFILE QNAME DEADLINE [UPFILE [PIDFILE]]
                                  poll with SOA queries until one is answered
                                  (NOERROR, AA); print the wall-clock time of
                                  the first answer (seconds since the epoch)
                                  and the port
  cpu PID                         print utime+stime and utime of PID in
                                  seconds
  cpubusy CPU                     print busy seconds of CPU (incl. steal)
  hwm PID                         print VmHWM and VmRSS of PID in KiB
  perf FILE                       parse a dnsperf summary: qps avg_s lost
  hist FILE                       parse dnsperf -v output: count p50 p90 p99
                                  p999 max in microseconds
  geo-networks FILE COUNT         write COUNT random /24 networks around 40
                                  cities (TSV: net lat lon country continent)
                                  for make-bench-mmdb.pl
  geo-queries FILE NETS QNAME SUBNETS COUNT
                                  write a dnsperf -B (binary) file of COUNT
                                  A queries for QNAME, each with an EDNS
                                  Client Subnet option (/24) from one of the
                                  first SUBNETS networks of NETS
  geo-check HOST PORT QNAME NETS DCS N
                                  query QNAME with ECS from the first N
                                  networks of NETS; DCS lines "NAME LAT LON
                                  VIP"; print "NET EXPECTED ANSWER SCOPE" per
                                  network and a last line "ok K of N"
  reports URL PROBES DCS          send signed probe reports (POST /v1/reports)
                                  for every probe of PROBES (lines "ID
                                  SECRET") each second, spread over the
                                  second, until SIGTERM; then print "sent ok
                                  failed statuses"
  metric URL NAME                 print the value of one sample of GET
                                  URL/metrics (NAME with its labels)
  tasks PID                       print "TID COMM CPU_S" for every thread
"""

import hashlib
import hmac
import http.client
import json
import math
import os
import random
import signal
import socket
import struct
import sys
import time

# The zone layout is shared by the zone and the query generators so that the
# queries hit what the zone holds.
#   hN        A (every host), AAAA (every 2nd), TXT (every 5th)
#   mN        MX (every 10th host has "mail" record set at mN)
#   wwwN      CNAME hN (one per 4 hosts)
#   *.wild    A
#   nxN...    never defined (NXDOMAIN)


# Records per host in the loop below: A 1 + 1/3, AAAA 1/2, TXT 1/5,
# MX 2/10, CNAME 1/4 = 149/60.
RECORDS_PER_HOST_60 = 149


def hosts_for_records(records):
    return max(1, (records - 16) * 60 // RECORDS_PER_HOST_60)


def write_zone(path, origin, hosts):
    """Write the zone; return the number of records written."""
    origin = origin.rstrip(".") + "."
    rnd = random.Random(1)
    count = [0]
    with open(path, "w") as f:
        def w(text):
            count[0] += text.count("\n")
            f.write(text)
        w("$ORIGIN %s\n$TTL 3600\n" % origin)
        w("@ 300 IN SOA ns1.%s hostmaster.%s 2024010101 7200 3600 1209600 300\n"
          % (origin, origin))
        w("@ IN NS ns1.%s\n@ IN NS ns2.%s\n" % (origin, origin))
        w("@ IN A 192.0.2.1\n@ IN AAAA 2001:db8::1\n")
        w("@ IN MX 10 mx1.%s\n@ IN MX 20 mx2.%s\n" % (origin, origin))
        w('@ IN TXT "v=spf1 mx -all"\n')
        w("ns1 IN A 192.0.2.53\nns1 IN AAAA 2001:db8::53\n")
        w("ns2 IN A 198.51.100.53\nns2 IN AAAA 2001:db8:1::53\n")
        w("mx1 IN A 192.0.2.25\nmx2 IN A 198.51.100.25\n")
        w("*.wild IN A 203.0.113.80\n*.wild IN AAAA 2001:db8:80::1\n")
        w('*.wild IN TXT "wildcard"\n')
        for i in range(hosts):
            a = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            w("h%d IN A %s\n" % (i, a))
            if i % 3 == 0:
                w("h%d IN A 10.%d.%d.%d\n"
                  % (i, 128 + ((i >> 16) & 127), (i >> 8) & 255, i & 255))
            if i % 2 == 0:
                w("h%d IN AAAA 2001:db8:%x:%x::1\n" % (i, i >> 16, i & 0xFFFF))
            if i % 5 == 0:
                w('h%d IN TXT "host %d token=%08x"\n'
                  % (i, i, rnd.getrandbits(32)))
            if i % 10 == 0:
                w("m%d IN MX 10 mx1.%s\nm%d IN MX 20 h%d.%s\n"
                  % (i, origin, i, i, origin))
            if i % 4 == 0:
                w("www%d IN CNAME h%d.%s\n" % (i, i, origin))
    return count[0] - 2  # $ORIGIN and $TTL lines


def write_queries(path, origin, hosts, count):
    origin = origin.rstrip(".") + "."
    rnd = random.Random(2)
    # Weighted mix: mostly A hits.
    mix = [
        ("a", 60), ("aaaa", 12), ("cname", 8), ("mx", 5), ("txt", 3),
        ("wild", 4), ("nx", 6), ("nodata", 2),
    ]
    kinds = [k for k, n in mix for _ in range(n)]
    with open(path, "w") as f:
        for _ in range(count):
            k = rnd.choice(kinds)
            i = rnd.randrange(hosts)
            if k == "a":
                f.write("h%d.%s A\n" % (i, origin))
            elif k == "aaaa":
                f.write("h%d.%s AAAA\n" % (i - i % 2, origin))
            elif k == "cname":
                f.write("www%d.%s A\n" % (i - i % 4, origin))
            elif k == "mx":
                if rnd.random() < 0.2:
                    f.write("%s MX\n" % origin)
                else:
                    f.write("m%d.%s MX\n" % (i - i % 10, origin))
            elif k == "txt":
                f.write("h%d.%s TXT\n" % (i - i % 5, origin))
            elif k == "wild":
                f.write("c%x.wild.%s A\n" % (rnd.getrandbits(32), origin))
            elif k == "nx":
                f.write("nx%d.%s A\n" % (rnd.getrandbits(24), origin))
            else:
                # existing name, type it does not have: NODATA
                f.write("h%d.%s MX\n" % (i, origin))


def freeport():
    # Hold a TCP socket while checking UDP, so the port is free for both.
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            continue
        u.close()
        t.close()
        return port
    raise SystemExit("no free port")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_port_file(path):
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 4 and parts[0] == "dns" and parts[1] == "udp":
                    return int(parts[3])
    except OSError:
        pass
    return None


def alive(pid_file):
    """False once the PID named in pid_file (when it exists) is gone."""
    try:
        with open(pid_file) as f:
            pid = f.read().strip()
    except OSError:
        return True
    if not pid:
        return True
    try:
        with open("/proc/%s/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def wait_ready(host, port, qname, deadline, up_file=None, pid_file=None):
    """Poll with SOA queries until one gets NOERROR + AA + an answer.

    port is a number or @FILE, a gslbd port file to read the UDP port from
    (polled until it names one). up_file, when given, is created once this
    process is ready to poll, so that the caller starts the clock after the
    interpreter's own start-up. pid_file, when given, names the server's PID
    once it exists; polling stops when that process is gone.
    Prints "TIME PORT" (TIME in seconds since the epoch) and returns 0, or
    returns 1 at the deadline or when the server died.
    """
    end = time.time() + float(deadline)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.005)
    question = encode_name(qname) + struct.pack("!HH", 6, 1)
    if up_file:
        open(up_file, "w").close()
    port_file = port[1:] if port.startswith("@") else None
    port = None if port_file else int(port)
    qid = 0
    while time.time() < end:
        if pid_file and not alive(pid_file):
            return 1
        if port is None:
            port = read_port_file(port_file)
            if port is None:
                time.sleep(0.001)
                continue
        qid = (qid + 1) & 0xFFFF
        msg = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + question
        try:
            s.sendto(msg, (host, port))
            while True:
                data = s.recv(4096)
                if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                    flags = struct.unpack("!H", data[2:4])[0]
                    ancount = struct.unpack("!H", data[6:8])[0]
                    if (flags & 0xF) == 0 and (flags & 0x0400) and ancount:
                        print("%.6f %d" % (time.time(), port))
                        return 0
                    break
        except (socket.timeout, ConnectionRefusedError):
            pass
        except OSError:
            time.sleep(0.002)
        time.sleep(0.001)
    return 1


def cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    hz = os.sysconf("SC_CLK_TCK")
    utime, stime = int(fields[11]), int(fields[12])
    print("%.4f %.4f" % ((utime + stime) / hz, utime / hz))


def cpubusy(cpu_id):
    # user nice system idle iowait irq softirq steal: everything but idle
    # and iowait, steal included (time the host gave to someone else).
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0] == "cpu%s" % cpu_id:
                v = [int(x) for x in parts[1:9]]
                busy = sum(v) - v[3] - v[4]
                print("%.4f" % (busy / os.sysconf("SC_CLK_TCK")))
                return
    print("nan")


def hwm(pid):
    vals = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                vals[k] = v.split()[0]
    print(vals.get("VmHWM", "0"), vals.get("VmRSS", "0"))


def perf(path):
    qps = avg = lost = comp = "nan"
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("Queries per second:"):
                qps = line.split()[-1]
            elif line.startswith("Average Latency (s):"):
                avg = line.split()[3]
            elif line.startswith("Queries lost:"):
                lost = line.split()[2]
            elif line.startswith("Queries completed:"):
                comp = line.split()[2]
    print(qps, avg, lost, comp)


def hist(path):
    # dnsperf -v lines: "> RCODE QNAME QTYPE LATENCY_SECONDS"
    lat = []
    with open(path) as f:
        for line in f:
            if line.startswith("> "):
                parts = line.split()
                try:
                    lat.append(float(parts[-1]))
                except ValueError:
                    pass
    if not lat:
        print("0 nan nan nan nan nan")
        return
    lat.sort()
    n = len(lat)

    def pct(p):
        return lat[min(n - 1, int(p * n))] * 1e6

    print("%d %.0f %.0f %.0f %.0f %.0f"
          % (n, pct(0.5), pct(0.9), pct(0.99), pct(0.999), lat[-1] * 1e6))


# ---------------------------------------------------------------------------
# Geo mode: a synthetic City database, ECS queries, answer checks.

# Cities the networks of the bench database are scattered around (with a
# jitter of up to 3 degrees): name, country, continent, latitude, longitude.
GEO_CITIES = [
    ("New York", "US", "NA", 40.71, -74.01), ("Chicago", "US", "NA", 41.88, -87.63),
    ("Los Angeles", "US", "NA", 34.05, -118.24), ("Dallas", "US", "NA", 32.78, -96.80),
    ("Seattle", "US", "NA", 47.61, -122.33), ("Miami", "US", "NA", 25.76, -80.19),
    ("Toronto", "CA", "NA", 43.65, -79.38), ("Mexico City", "MX", "NA", 19.43, -99.13),
    ("Sao Paulo", "BR", "SA", -23.55, -46.63), ("Buenos Aires", "AR", "SA", -34.60, -58.38),
    ("Bogota", "CO", "SA", 4.71, -74.07), ("Lima", "PE", "SA", -12.05, -77.04),
    ("London", "GB", "EU", 51.51, -0.13), ("Dublin", "IE", "EU", 53.35, -6.26),
    ("Paris", "FR", "EU", 48.86, 2.35), ("Frankfurt", "DE", "EU", 50.11, 8.68),
    ("Madrid", "ES", "EU", 40.42, -3.70), ("Milan", "IT", "EU", 45.46, 9.19),
    ("Stockholm", "SE", "EU", 59.33, 18.07), ("Warsaw", "PL", "EU", 52.23, 21.01),
    ("Moscow", "RU", "EU", 55.76, 37.62), ("Istanbul", "TR", "AS", 41.01, 28.98),
    ("Cairo", "EG", "AF", 30.04, 31.24), ("Lagos", "NG", "AF", 6.52, 3.38),
    ("Nairobi", "KE", "AF", -1.29, 36.82), ("Johannesburg", "ZA", "AF", -26.20, 28.05),
    ("Dubai", "AE", "AS", 25.20, 55.27), ("Mumbai", "IN", "AS", 19.08, 72.88),
    ("Delhi", "IN", "AS", 28.70, 77.10), ("Bangalore", "IN", "AS", 12.97, 77.59),
    ("Singapore", "SG", "AS", 1.35, 103.82), ("Jakarta", "ID", "AS", -6.21, 106.85),
    ("Bangkok", "TH", "AS", 13.76, 100.50), ("Hong Kong", "HK", "AS", 22.32, 114.17),
    ("Shanghai", "CN", "AS", 31.23, 121.47), ("Beijing", "CN", "AS", 39.90, 116.41),
    ("Seoul", "KR", "AS", 37.57, 126.98), ("Tokyo", "JP", "AS", 35.68, 139.69),
    ("Sydney", "AU", "OC", -33.87, 151.21), ("Auckland", "NZ", "OC", -36.85, 174.76),
]

# First octets never used for bench networks: reserved, private, loopback,
# multicast, and the documentation /24s inside 192/198/203 are avoided by
# skipping those octets entirely.
GEO_BAD_OCTETS = {0, 10, 100, 127, 169, 172, 192, 198, 203}


def geo_networks(path, count):
    rnd = random.Random(3)
    octets = [o for o in range(1, 224) if o not in GEO_BAD_OCTETS]
    seen = set()
    with open(path, "w") as f:
        while len(seen) < count:
            net = (rnd.choice(octets), rnd.randrange(256), rnd.randrange(256))
            if net in seen:
                continue
            seen.add(net)
            _, cc, cont, lat, lon = rnd.choice(GEO_CITIES)
            lat = max(-89.0, min(89.0, lat + rnd.uniform(-3, 3)))
            lon = lon + rnd.uniform(-3, 3)
            lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
            f.write("%d.%d.%d.0/24\t%.4f\t%.4f\t%s\t%s\n" % (net + (lat, lon, cc, cont)))
    print(count)


def read_networks(path):
    nets = []
    with open(path) as f:
        for line in f:
            net, lat, lon, cc, cont = line.rstrip("\n").split("\t")
            nets.append((net, float(lat), float(lon), cc, cont))
    return nets


def ecs_query(qid, qname, addr, qtype=1):
    """A query with EDNS (1232) and an ECS option, source /24 (RFC 7871:
    the address truncated to 3 bytes)."""
    octets = bytes(int(x) for x in addr.split(".")[:3])
    ecs = struct.pack("!HBB", 1, 24, 0) + octets
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 4 + len(ecs)) \
        + struct.pack("!HH", 8, len(ecs)) + ecs
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 1) + encode_name(qname) \
        + struct.pack("!HH", qtype, 1) + opt


def geo_queries(path, nets_path, qname, subnets, count):
    nets = read_networks(nets_path)[:subnets]
    rnd = random.Random(4)
    with open(path, "wb") as f:
        for _ in range(count):
            msg = ecs_query(0, qname, rnd.choice(nets)[0])
            f.write(struct.pack("!H", len(msg)) + msg)
    print(len(nets), count)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def parse_answer(msg):
    """(rcode, [A/AAAA addresses in the answer section], ECS scope or None)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    addrs, scope = [], None
    for i in range(an + ns + ar):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        off += rdlen
        if i < an and rtype == 1:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif i < an and rtype == 28:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
        elif rtype == 41:
            o = 0
            while o + 4 <= len(rdata):
                code, olen = struct.unpack("!HH", rdata[o:o + 4])
                if code == 8:
                    scope = rdata[o + 7]
                o += 4 + olen
    return flags & 0xF, addrs, scope


def great_circle(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return math.acos(max(-1.0, min(1.0, c)))


def geo_check(host, port, qname, nets_path, dcs_path, n):
    nets = read_networks(nets_path)[:int(n)]
    dcs = []
    with open(dcs_path) as f:
        for line in f:
            name, lat, lon, vip = line.split()
            dcs.append((name, float(lat), float(lon), vip))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    good = 0
    for i, (net, lat, lon, _, _) in enumerate(nets):
        dist = sorted((great_circle(lat, lon, d[1], d[2]), j) for j, d in enumerate(dcs))
        want = dcs[dist[0][1]]
        # A near tie (within 50 km) may go either way between servers.
        tie = (dist[1][0] - dist[0][0]) * 6371 < 50
        got, scope = "-", "-"
        for _attempt in range(3):
            try:
                s.sendto(ecs_query(i + 1, qname, net.split("/")[0]), (host, int(port)))
                while True:
                    data = s.recv(4096)
                    if struct.unpack("!H", data[:2])[0] == i + 1:
                        break
                rcode, addrs, sc = parse_answer(data)
                got = ",".join(addrs) if rcode == 0 and addrs else "rcode%d" % rcode
                scope = "-" if sc is None else str(sc)
                break
            except socket.timeout:
                continue
        ok = got == want[3]
        good += ok
        print("%s %s %s %s%s" % (net, want[3], got, scope, " tie" if tie and not ok else ""))
    print("ok %d of %d" % (good, len(nets)))


# ---------------------------------------------------------------------------
# Reports mode: signed probe reports at a steady rate.

def report_body(probe, dcs, rnd):
    results = [{"datacenter": d, "ok": True, "rtt_ms": round(rnd.uniform(5, 150), 1),
                "status": 200} for d in dcs]
    return json.dumps({"probe": probe, "results": results}, separators=(",", ":"))


def reports(url, probes_path, dcs_path):
    """Each second every probe POSTs one report with a result for every
    datacenter, signed as common/sign.h says; the POSTs are spread evenly
    over the second, over one keep-alive connection."""
    probes = []
    with open(probes_path) as f:
        for line in f:
            pid, secret = line.split()
            probes.append((pid, secret.encode()))
    with open(dcs_path) as f:
        dcs = [line.split()[0] for line in f if line.strip()]
    hostport = url.split("//", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    rnd = random.Random(5)
    sent = ok = failed = 0
    statuses = {}
    conn = None
    step = 1.0 / len(probes)
    t = time.monotonic()
    last_ts = 0
    while not stop:
        for pid, secret in probes:
            if stop:
                break
            delay = t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t += step
            body = report_body(pid, dcs, rnd).encode()
            ts = max(int(time.time() * 1000), last_ts + 1)
            last_ts = ts
            msg = b"POST\n/v1/reports\n%d\n" % ts + body
            sig = hmac.new(secret, msg, hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json", "X-GSLB-Key": pid,
                       "X-GSLB-Timestamp": str(ts), "X-GSLB-Signature": sig}
            sent += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=5)
                conn.request("POST", "/v1/reports", body, headers)
                r = conn.getresponse()
                r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == 200:
                    ok += 1
                else:
                    failed += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                failed += 1
                if conn is not None:
                    conn.close()
                conn = None
    print(sent, ok, failed,
          ",".join("%d:%d" % kv for kv in sorted(statuses.items())) or "-")
    sys.stdout.flush()


def metric(url, name):
    hostport = url.split("//", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            print(line.split()[-1])
            return
    print(0)


def tasks(pid):
    hz = os.sysconf("SC_CLK_TCK")
    for tid in sorted(os.listdir("/proc/%s/task" % pid), key=int):
        try:
            with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                data = f.read()
        except OSError:
            continue
        comm = data[data.index("(") + 1:data.rindex(")")].replace(" ", "_")
        fields = data[data.rindex(")") + 2:].split()
        print(tid, comm, "%.4f" % ((int(fields[11]) + int(fields[12])) / hz))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "zone":
        hosts = int(argv[4])
        print(hosts, write_zone(argv[2], argv[3], hosts))
    elif cmd == "zone-records":
        hosts = hosts_for_records(int(argv[4]))
        print(hosts, write_zone(argv[2], argv[3], hosts))
    elif cmd == "queries":
        write_queries(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif cmd == "freeport":
        print(freeport())
    elif cmd == "wait":
        return wait_ready(*argv[2:8])
    elif cmd == "cpu":
        cpu(argv[2])
    elif cmd == "cpubusy":
        cpubusy(argv[2])
    elif cmd == "hwm":
        hwm(argv[2])
    elif cmd == "perf":
        perf(argv[2])
    elif cmd == "hist":
        hist(argv[2])
    elif cmd == "geo-networks":
        geo_networks(argv[2], int(argv[3]))
    elif cmd == "geo-queries":
        geo_queries(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    elif cmd == "geo-check":
        geo_check(*argv[2:8])
    elif cmd == "reports":
        reports(argv[2], argv[3], argv[4])
    elif cmd == "metric":
        metric(argv[2], argv[3])
    elif cmd == "tasks":
        tasks(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
