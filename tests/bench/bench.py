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
  corpus MMDB DIR ORIGIN QNAME COUNT SUBNETS4 SUBNETS6 DRAW CHECK
                                  walk the IPv4 and IPv6 networks of a City
                                  MaxMind DB (the search tree, parsed here),
                                  draw SUBNETS4 distinct client /24s and
                                  SUBNETS6 /56s (DRAW: "networks", every
                                  database network alike, or "space", by the
                                  addresses it covers) and write the COUNT-
                                  query corpus twice: DIR/corpus.txt (dnsload:
                                  "NAME TYPE [ECS]") and DIR/corpus.bin
                                  (dnsperf -B), the same queries in the same
                                  order; DIR/corpus-check.tsv: CHECK of the
                                  /24s with their location (geo-check input);
                                  print "key value" lines (counts)
  dnsload FILE                    parse dnsload output: qps avg_s lost
                                  responses p50 p99 p999 (us) client_cpu_us/q
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

# The boot id the report generator signs as (probe protocol 2).
BENCH_BOOT = "%016x" % (random.getrandbits(63) | 1)

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
# Corpus mode: client subnets drawn from a real City database.
#
# The MaxMind DB format (https://maxmind.github.io/MaxMind-DB/): a binary
# search tree of node_count nodes, two records of record_size bits each
# (left: bit 0, right: bit 1); a record below node_count is a node, equal to
# it means "no data", above it points into the data section. IPv4 lives
# under ::/96 of an IPv6 tree (::ffff:0:0/96 and 2002::/16 point back to
# that node). Metadata: a map after the last "\xab\xcd\xefMaxMind.com".

MMDB_META = b"\xab\xcd\xefMaxMind.com"


def mmdb_decode(buf, off, base):
    """Decode one data field at off (pointers relative to base); return
    (value, next offset)."""
    ctrl = buf[off]
    off += 1
    t = ctrl >> 5
    if t == 1:  # pointer: follow it, the field ends after the pointer
        ss, v = (ctrl >> 3) & 3, ctrl & 7
        if ss == 0:
            p = (v << 8) | buf[off]
        elif ss == 1:
            p = ((v << 16) | int.from_bytes(buf[off:off + 2], "big")) + 2048
        elif ss == 2:
            p = ((v << 24) | int.from_bytes(buf[off:off + 3], "big")) + 526336
        else:
            p = int.from_bytes(buf[off:off + 4], "big")
        return mmdb_decode(buf, base + p, base)[0], off + ss + 1
    if t == 0:  # extended type
        t = 7 + buf[off]
        off += 1
    size = ctrl & 31
    if size >= 29:
        n = size - 28
        size = (29, 285, 65821)[n - 1] + int.from_bytes(buf[off:off + n], "big")
        off += n
    if t == 2:
        return bytes(buf[off:off + size]).decode("utf-8", "replace"), off + size
    if t == 3:
        return struct.unpack(">d", buf[off:off + 8])[0], off + 8
    if t == 15:
        return struct.unpack(">f", buf[off:off + 4])[0], off + 4
    if t in (4, 5, 6, 9, 10):
        return int.from_bytes(buf[off:off + size], "big"), off + size
    if t == 8:
        return int.from_bytes(buf[off:off + size], "big", signed=True), off + size
    if t == 7:
        d = {}
        for _ in range(size):
            k, off = mmdb_decode(buf, off, base)
            d[k], off = mmdb_decode(buf, off, base)
        return d, off
    if t == 11:
        a = []
        for _ in range(size):
            v, off = mmdb_decode(buf, off, base)
            a.append(v)
        return a, off
    if t == 14:
        return bool(size), off
    raise ValueError("mmdb: data type %d" % t)


class MmdbTree:
    def __init__(self, path):
        import mmap
        with open(path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        pos = self.buf.rfind(MMDB_META)
        if pos < 0:
            raise SystemExit("%s: not a MaxMind DB" % path)
        start = pos + len(MMDB_META)
        self.meta = mmdb_decode(self.buf, start, start)[0]
        self.nodes = self.meta["node_count"]
        self.rsize = self.meta["record_size"]
        if self.rsize not in (24, 28, 32):
            raise SystemExit("%s: record size %d" % (path, self.rsize))
        self.data_base = self.nodes * self.rsize // 4 + 16

    def node(self, n):
        b, o = self.buf, n * self.rsize // 4
        if self.rsize == 28:
            m = b[o + 3]
            return (((m >> 4) << 24) | int.from_bytes(b[o:o + 3], "big"),
                    ((m & 15) << 24) | int.from_bytes(b[o + 4:o + 7], "big"))
        k = self.rsize // 8
        return int.from_bytes(b[o:o + k], "big"), int.from_bytes(b[o + k:o + 2 * k], "big")

    def ipv4_start(self):
        n = 0
        if self.meta["ip_version"] == 6:
            for _ in range(96):
                if n >= self.nodes:
                    break
                n = self.node(n)[0]
        return n

    def walk(self, start, skip=None):
        """Yield (prefix bits as int, prefix length, record) for every
        network with data under node start; node skip is not entered."""
        nodes, node = self.nodes, self.node
        stack = [(start, 0, 0)]
        while stack:
            n, v, d = stack.pop()
            left, right = node(n)
            for bit, rec in ((0, left), (1, right)):
                if rec < nodes:
                    if rec != skip:
                        stack.append((rec, (v << 1) | bit, d + 1))
                elif rec > nodes:
                    yield (v << 1) | bit, d + 1, rec

    def lookup4(self, start, addr):
        """The data record of IPv4 address addr (an int), or None; start
        is ipv4_start()."""
        n = start
        for i in range(31, -1, -1):
            n = self.node(n)[(addr >> i) & 1]
            if n >= self.nodes:
                break
        return n if n > self.nodes else None

    def record(self, rec):
        off = self.data_base + rec - self.nodes - 16
        return mmdb_decode(self.buf, off, self.data_base)[0]


class Nets4:
    """IPv4 networks (prefix, length, record) in flat arrays: a list of
    tuples for GeoLite2-City's 3 million networks would take some 400 MB."""

    def __init__(self, walk):
        from array import array
        self.v, self.plen, self.rec = array("I"), array("B"), array("I")
        for v, plen, rec in walk:
            self.v.append(v)
            self.plen.append(plen)
            self.rec.append(rec)

    def __len__(self):
        return len(self.v)

    def __getitem__(self, i):
        return self.v[i], self.plen[i], self.rec[i]


def draw_subnets(nets, want, bits, draw, rnd):
    """Draw want distinct /bits subnets (as ints) from nets, a list of
    (prefix, length, record). draw "networks": pick a network, every one
    alike, then a /bits inside it (the one that holds it when it is
    longer); "space": every /bits the database covers alike. Returns
    [(subnet, record)]."""
    import bisect
    if draw == "space":
        from array import array
        cum, total = array("Q"), 0
        for i in range(len(nets)):
            total += 1 << max(0, bits - nets[i][1])
            cum.append(total)
    seen = {}
    tries = 0
    while len(seen) < want:
        tries += 1
        if tries > 20 * want + 1000:
            raise SystemExit("corpus: only %d distinct /%d subnets found, %d wanted"
                             % (len(seen), bits, want))
        if draw == "space":
            i = bisect.bisect_right(cum, rnd.randrange(total))
        else:
            i = rnd.randrange(len(nets))
        v, plen, rec = nets[i]
        if plen <= bits:
            sub = (v << (bits - plen)) | rnd.randrange(1 << (bits - plen))
        else:
            sub = v >> (plen - bits)
        if sub not in seen:
            seen[sub] = rec
    return list(seen.items())


def query_wire(qname_wire, qtype, ecs):
    """Query with EDNS0 (1232); ecs: None or (family, prefix, address
    bytes truncated to the prefix)."""
    opt_data = b""
    if ecs is not None:
        fam, prefix, addr = ecs
        body = struct.pack("!HBB", fam, prefix, 0) + addr
        opt_data = struct.pack("!HH", 8, len(body)) + body
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, len(opt_data)) + opt_data
    return struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 1) + qname_wire \
        + struct.pack("!HH", qtype, 1) + opt


CORPUS_STATIC_HOSTS = 1000


def corpus_zone_hosts():
    """The static names of the corpus zone: hN A (every host), AAAA (even N)."""
    for i in range(CORPUS_STATIC_HOSTS):
        yield "h%d" % i, "A", "10.1.%d.%d" % (i >> 8, i & 255)
        if i % 2 == 0:
            yield "h%d" % i, "AAAA", "2001:db8:100::%x" % i


def corpus(mmdb, out_dir, origin, qname, count, subnets4, subnets6, draw, check):
    if draw not in ("networks", "space"):
        raise SystemExit("corpus: DRAW is networks or space, not %s" % draw)
    origin = origin.rstrip(".")
    tree = MmdbTree(mmdb)
    rnd = random.Random(6)
    s4 = tree.ipv4_start()
    nets4 = Nets4(tree.walk(s4))
    nets6 = []
    for v, plen, rec in tree.walk(0, skip=s4):
        # Global unicast only (2000::/3); ::/96 is the IPv4 part, skipped.
        if plen >= 3 and (v >> (plen - 3)) == 1:
            nets6.append((v, plen, rec))
    subs4 = draw_subnets(nets4, subnets4, 24, draw, rnd)
    subs6 = draw_subnets(nets6, subnets6, 56, draw, rnd)
    del nets4, nets6

    # The exact mix, in shares of COUNT; the rest of the queries are A
    # with IPv4 ECS.
    n_ecs6 = count * 10 // 100   # AAAA, ECS /56
    n_noecs = count * 5 // 100   # A for QNAME, EDNS without ECS
    n_static = count * 10 // 100  # A for hN
    n_static6 = count * 3 // 100  # AAAA for hN (N even)
    n_nx = count * 2 // 100      # A for a name that does not exist
    n_ecs4 = count - n_ecs6 - n_noecs - n_static - n_static6 - n_nx
    if n_ecs4 < subnets4 or n_ecs6 < subnets6:
        raise SystemExit("corpus: %d queries cannot hold %d /24s and %d /56s"
                         % (count, subnets4, subnets6))

    def v4(sub):
        return "%d.%d.%d.0" % (sub >> 16, (sub >> 8) & 255, sub & 255)

    def v6(sub):
        return socket.inet_ntop(socket.AF_INET6, (sub << 72).to_bytes(16, "big"))

    # Every drawn subnet once, the rest drawn again from them.
    kinds = [("e4", i) for i in range(len(subs4))]
    kinds += [("e4", rnd.randrange(len(subs4))) for _ in range(n_ecs4 - len(subs4))]
    kinds += [("e6", i) for i in range(len(subs6))]
    kinds += [("e6", rnd.randrange(len(subs6))) for _ in range(n_ecs6 - len(subs6))]
    kinds += [("n", 0)] * n_noecs
    kinds += [("s", rnd.randrange(CORPUS_STATIC_HOSTS)) for _ in range(n_static)]
    kinds += [("s6", rnd.randrange(CORPUS_STATIC_HOSTS // 2) * 2) for _ in range(n_static6)]
    kinds += [("x", rnd.getrandbits(32)) for _ in range(n_nx)]
    rnd.shuffle(kinds)

    lb_wire = encode_name(qname)
    txt = open(os.path.join(out_dir, "corpus.txt"), "w")
    binf = open(os.path.join(out_dir, "corpus.bin"), "wb")
    lines, chunks = [], []
    for kind, i in kinds:
        if kind == "e4":
            sub = subs4[i][0]
            lines.append("%s A %s/24\n" % (qname, v4(sub)))
            msg = query_wire(lb_wire, 1, (1, 24, sub.to_bytes(3, "big")))
        elif kind == "e6":
            sub = subs6[i][0]
            lines.append("%s AAAA %s/56\n" % (qname, v6(sub)))
            msg = query_wire(lb_wire, 28, (2, 56, sub.to_bytes(7, "big")))
        elif kind == "n":
            lines.append("%s A\n" % qname)
            msg = query_wire(lb_wire, 1, None)
        else:
            if kind == "x":
                name = "nx%08x.%s" % (i, origin)
            else:
                name = "h%d.%s" % (i, origin)
            qtype = 28 if kind == "s6" else 1
            lines.append("%s %s\n" % (name, "AAAA" if qtype == 28 else "A"))
            msg = query_wire(encode_name(name), qtype, None)
        chunks.append(struct.pack("!H", len(msg)) + msg)
        if len(lines) >= 65536:
            txt.write("".join(lines))
            binf.write(b"".join(chunks))
            lines, chunks = [], []
    txt.write("".join(lines))
    binf.write(b"".join(chunks))
    txt.close()
    binf.close()

    # Answer check input: drawn /24s whose record has a location. The
    # servers look up the /24's first address (the ECS source), which for
    # a network longer than /24 may be in another one than the drawn one.
    with open(os.path.join(out_dir, "corpus-check.tsv"), "w") as f:
        k = 0
        for sub, _ in subs4:
            if k >= check:
                break
            rec = tree.lookup4(s4, sub << 8)
            if rec is None:
                continue
            data = tree.record(rec)
            loc = data.get("location") or {}
            if "latitude" not in loc or "longitude" not in loc:
                continue
            f.write("%s/24\t%.4f\t%.4f\t%s\t%s\n" % (
                v4(sub), loc["latitude"], loc["longitude"],
                (data.get("country") or {}).get("iso_code", "-"),
                (data.get("continent") or {}).get("code", "-")))
            k += 1
    print("database %s" % tree.meta.get("database_type", "?"))
    print("build_epoch %s" % tree.meta.get("build_epoch", "?"))
    print("draw %s" % draw)
    print("subnets4 %d" % len(subs4))
    print("subnets6 %d" % len(subs6))
    print("queries %d" % count)
    print("mix a_ecs4 %d aaaa_ecs6 %d a_noecs %d static_a %d static_aaaa %d nxdomain %d"
          % (n_ecs4, n_ecs6, n_noecs, n_static, n_static6, n_nx))
    print("checked %d" % k)


def dnsload_out(path):
    vals = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            vals[k.strip()] = v.strip()
    try:
        print("%s %.6f %s %s %s %s %s %s" % (
            vals["qps"], float(vals["avg_us"]) / 1e6, vals["lost"], vals["responses"],
            vals["p50_us"], vals["p99_us"], vals["p999_us"], vals["cpu_us_per_q"]))
    except KeyError:
        print("nan nan nan 0 nan nan nan nan")


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
            ts = int(time.time() * 1000)
            seq = last_ts = last_ts + 1
            # Probe protocol 2: one boot id for the run, seq increasing.
            msg = (b"gslb-probe-2 request\nPOST\n/v1/reports\n%s\n%d\n%d\n"
                   % (BENCH_BOOT.encode(), seq, ts) + body)
            sig = hmac.new(secret, msg, hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json", "X-GSLB-Key": pid,
                       "X-GSLB-Boot": BENCH_BOOT, "X-GSLB-Seq": str(seq),
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
    elif cmd == "corpus":
        corpus(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]),
               int(argv[8]), argv[9], int(argv[10]))
    elif cmd == "dnsload":
        dnsload_out(argv[2])
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
