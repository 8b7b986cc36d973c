#!/bin/sh
# Out of file descriptors: a client holds open connections to the HTTP API
# until gslbd has no descriptor left. accept() then fails (EMFILE) on the API
# and the DNS TCP listeners; gslbd must pause them rather than spin on the
# still-readable listening sockets, keep answering over UDP, and accept
# again once descriptors are free.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

command -v prlimit >/dev/null 2>&1 || skip "prlimit not found (Debian package util-linux)"
command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"
need_api_tools

render_geo_config "$WORK/gslbd.conf"
gslbd_start "$WORK/gslbd.conf"
api_port

# cpu_ticks: gslbd's user + system time so far, in clock ticks (all threads).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$G_PID/stat"
}

# A few descriptors above what gslbd holds now (valgrind's own sit above
# the limit and do not count).
open_fds=$(find "/proc/$G_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
limit=$((open_fds + 8))
prlimit --pid "$G_PID" --nofile="$limit:$limit" || skip "cannot lower gslbd's open file limit"
echo "gslbd holds $open_fds descriptors; limit now $limit"

step "hold connections to the API until gslbd runs out of descriptors"
HOLDER_READY=$WORK/holder.ready
python3 - "$G_HTTP" 64 "$HOLDER_READY" <<'EOF' &
import socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(s)  # connected: queued in the backlog even when not accepted
open(ready, "w").close()
time.sleep(120)  # killed by the test long before
EOF
HOLDER=$!
wait_until "[ -e '$HOLDER_READY' ]" 10 || fail "the holder could not open its connections"
wait_until "grep -q 'api: accept: Too many open files; not accepting' '$G_LOG'" 10 ||
	fail "gslbd never ran out of descriptors on the API listener: $(tail -n 5 "$G_LOG")"

step "a TCP DNS client meets the same limit; gslbd pauses that listener too"
# The connection is queued by the kernel; gslbd cannot accept it.
dig @127.0.0.1 -p "$G_TCP" +tcp +time=1 +tries=1 www.gslb.example.com SOA >/dev/null 2>&1 || true
wait_until "grep -q 'tcp: accept: Too many open files; not accepting' '$G_LOG'" 10 ||
	fail "no pause of the DNS TCP listener: $(tail -n 5 "$G_LOG")"

step "no spinning: gslbd uses little CPU while it cannot accept"
t0=$(cpu_ticks)
ms0=$(now_ms)
sleep 1 # a measurement window, not a synchronisation
t1=$(cpu_ticks)
ms1=$(now_ms)
hz=$(getconf CLK_TCK)
used_ms=$(((t1 - t0) * 1000 / hz))
echo "gslbd CPU: ${used_ms} ms in $((ms1 - ms0)) ms"
# A listener that spins takes a whole core; paused ones take next to nothing
# (valgrind included).
[ "$used_ms" -lt $(((ms1 - ms0) * 40 / 100)) ] ||
	fail "gslbd used ${used_ms} ms of CPU in $((ms1 - ms0)) ms while out of descriptors"

step "UDP is answered meanwhile"
q www.gslb.example.com SOA
assert_rcode NOERROR
assert_flag aa

step "descriptors free again: the API and DNS over TCP accept again"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
# gslbd closes the connections it had accepted once their peer is gone,
# and accepts the queued ones (then sees them closed) as descriptors free.
wait_until "api_get /healthz; [ \"\$API_CODE\" = 200 ]" 15 ||
	api_fail "the API does not answer after the descriptors were freed"
wait_until "q +tcp www.gslb.example.com SOA; [ \"\$(got_rcode)\" = NOERROR ]" 15 ||
	qfail "DNS over TCP does not answer after the descriptors were freed"

step "the pauses are counted in /metrics"
api_get /metrics
[ "$API_CODE" = 200 ] || api_fail "GET /metrics"
for l in api tcp; do
	n=$(echo "$API_BODY" | sed -n "s/^gslbd_accept_paused_total{listener=\"$l\"} //p")
	[ -n "$n" ] && [ "$n" -ge 1 ] || api_fail "gslbd_accept_paused_total{listener=\"$l\"} is '$n', expected >= 1"
	echo "listener $l paused $n times"
done

gslbd_stop
echo "PASS"
