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
"""

import os
import random
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
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
