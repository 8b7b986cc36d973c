#!/bin/sh
# A reload does not block the main loop: a zone of RELOAD_ASYNC_RECORDS
# records (default 300000, generated here; fewer under valgrind) is added
# by a SIGHUP, and while it loads /healthz, /v1/status (which says a reload
# is in progress) and a drain each answer within 200 ms, DNS answers, and
# under an emulated systemd watchdog (WATCHDOG_USEC 1 s, times the time
# factor; see sdnotify.sh)
# no two WATCHDOG=1 are more than half of it apart. SIGHUPs during the
# reload make exactly one more run after it; POST /v1/reload replies when
# its reload has ended, with the generation it published.
# RELOAD_ASYNC_SIGNED=1 signs the big zone in memory (NSEC, a KSK and a
# ZSK made with ldns-keygen): with RELOAD_ASYNC_RECORDS=1000000 this is the
# measure of a 1M-record signed reload (minutes; not run by make check).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"
grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" ||
	skip "gslbd built without libsystemd (no watchdog to emulate)"

if [ -n "$TEST_WRAPPER" ]; then
	RECORDS=${RELOAD_ASYNC_RECORDS:-20000}
else
	RECORDS=${RELOAD_ASYNC_RECORDS:-300000}
fi
TOKEN=reload-t0ken-0123456789
WD_USEC=$((1000000 * TF))

step "a zone of $RECORDS records"
python3 - "$WORK/big.test.zone" "$RECORDS" <<'EOF' || fail "cannot write the big zone"
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 1209600 30\n"
            "@ NS ns1\nns1 A 127.0.0.1\n")
    for i in range(n):
        f.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
EOF

# Every datagram on NOTIFY_SOCKET as "MONOTONIC_MS MESSAGE" ('|' for newlines).
SOCK=$WORK/notify.sock
MSGS=$WORK/notify.msgs
notify_listen "$SOCK" "$MSGS" stamp

CONF=$WORK/gslbd.conf
render_config "$CONF"
cat >>"$CONF" <<EOF
datacenters:
  - name: one
    latitude: 40.71
    longitude: -74.01
    ipv4: 192.0.2.10
pools:
  - name: primary
    datacenters: [one]
    policy: failover
names:
  - name: lb.example.net
    pool: primary
EOF
sed -i "s|^api:|api:\n  admin_token: \"$TOKEN\"|" "$CONF"
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=$WD_USEC
gslbd_start "$CONF"
unset NOTIFY_SOCKET WATCHDOG_USEC
api_port
log_wait "systemd watchdog: keep-alive every $((250 * TF)) ms" 2

# timed CURL-ARGS...: one request; its status in T_CODE, its time in ms in T_MS.
timed() {
	local out
	out=$(curl -s -o "$WORK/timed.body" -w '%{http_code} %{time_total}' --max-time $((5 * TF)) "$@")
	T_CODE=${out% *}
	T_MS=$(awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }')
}
LIMIT_MS=$((200 * TF))
reloads_ok() { grep -c 'reload: ok' "$G_LOG"; }
in_progress() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/v1/status" | jq -e '.reload.in_progress' >/dev/null
}

step "SIGHUP adds the big zone; the main loop keeps answering while it loads"
BIG_SEC=
if [ -n "${RELOAD_ASYNC_SIGNED:-}" ]; then
	command -v ldns-keygen >/dev/null 2>&1 || fail "ldns-keygen not found (Debian package ldnsutils)"
	ksk=$(dnssec_keygen -k big.test) && zsk=$(dnssec_keygen big.test) || fail "ldns-keygen"
	chmod 600 "$WORK"/keys/*.private
	BIG_SEC="keys/$ksk keys/$zsk"
fi
python3 - "$CONF" $BIG_SEC <<'EOF' || fail "cannot add the big zone to the config"
import sys
p, keys = sys.argv[1], sys.argv[2:]
lines = open(p).read().split("\n")
z = lines.index("zones:")
entry = ["  - name: big.test", "    file: big.test.zone"]
if keys:
    entry += ["    dnssec:", "      keys: [%s]" % ", ".join(keys)]
lines[z + 1:z + 1] = entry
open(p, "w").write("\n".join(lines))
EOF
ok0=$(reloads_ok)
t_hup=$(now_ms)
kill -HUP "$G_PID"
wait_until in_progress 5 || fail "no reload in progress after SIGHUP"
polls=0
while in_progress; do
	timed "http://127.0.0.1:$G_HTTP/healthz"
	[ "$T_CODE" = 200 ] || fail "/healthz answered $T_CODE during the reload"
	echo "healthz $T_MS" >>"$WORK/latency"
	timed -X POST -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$G_HTTP/v1/datacenters/one/$([ $((polls % 2)) = 0 ] && echo drain || echo undrain)"
	[ "$T_CODE" = 200 ] || fail "a drain answered $T_CODE during the reload: $(cat "$WORK/timed.body")"
	echo "drain $T_MS" >>"$WORK/latency"
	q lb.example.net A
	assert_rcode NOERROR
	polls=$((polls + 1))
done
t_done=$(now_ms)
log_wait 'reload: ok' 5
[ "$polls" -ge 1 ] || fail "the reload ended before the API could be asked anything"
echo "reload took $((t_done - t_hup)) ms; $polls rounds of /healthz, a drain and a query during it"
sort -k2n "$WORK/latency" | awk '{ v[$1] = v[$1] " " $2; n[$1]++ }
	END { for (k in v) { split(v[k], a, " "); print k ": " n[k] " requests, median " a[int((n[k] + 1) / 2)] " ms, max " a[n[k]] " ms" } }'
worst=$(sort -k2n "$WORK/latency" | tail -n 1)
[ "${worst#* }" -le "$LIMIT_MS" ] || fail "during the reload, $worst ms (over $LIMIT_MS ms)"
q h$((RECORDS - 1)).big.test A
assert_rcode NOERROR

step "no WATCHDOG=1 gap over half of WatchdogSec during the reload"
# Up to the first keep-alive after the reload's READY=1.
ready=$(grep -n ' READY=1' "$MSGS" | sed -n 2p | cut -d: -f1)
[ -n "$ready" ] || fail "no READY=1 after the reload: $(cat "$MSGS")"
wait_until "tail -n +$ready '$MSGS' | grep -q ' WATCHDOG=1\$'" 2 || fail "no WATCHDOG=1 after the reload"
gap=$(awk '
	$2 == "WATCHDOG=1" { if (last != "" && $1 - last > g) g = $1 - last; last = $1 }
	END { print g + 0 }' "$MSGS")
echo "largest gap between WATCHDOG=1: $gap ms (WatchdogSec $((WD_USEC / 1000)) ms)"
[ "$gap" -lt $((WD_USEC / 2000)) ] || fail "a WATCHDOG=1 gap of $gap ms, over half of $((WD_USEC / 1000)) ms"
seq=$(cut -d' ' -f2 "$MSGS" | cut -d'|' -f1 | grep -E '^(READY|RELOADING)=1$' | tr '\n' ' ')
[ "$seq" = "READY=1 RELOADING=1 READY=1 " ] || fail "notifications: $seq"

step "SIGHUPs during a reload: one more run after it, then READY=1"
ok0=$(reloads_ok)
# A reload reads only the zone files that changed: change the big one.
touch "$WORK/big.test.zone"
kill -HUP "$G_PID"
wait_until in_progress 5 || fail "no reload in progress after SIGHUP"
kill -HUP "$G_PID"
kill -HUP "$G_PID"
log_wait 'reload: sighup asked for while one runs' 5
wait_until '[ "$(reloads_ok)" -ge $((ok0 + 2)) ] && ! in_progress' 60 ||
	fail "expected two more 'reload: ok', got $(($(reloads_ok) - ok0))"
api_get /metrics
[ "$(metric 'gslbd_reloads_total{kind="sighup",result="ok"}')" = 3 ] ||
	fail "gslbd_reloads_total{kind=sighup,result=ok} is $(metric 'gslbd_reloads_total{kind="sighup",result="ok"}'), expected 3"
wait_until '[ "$(grep -c " READY=1" "$MSGS")" = 3 ]' 5 || fail "no READY=1 after the coalesced reloads"

step "POST /v1/reload replies when its reload has ended"
gen=$(curl -s "http://127.0.0.1:$G_HTTP/v1/status" | jq -r .generation)
api_post /v1/reload "$TOKEN"
assert_api_code 200
got=$(api_jq .generation)
[ "$got" -gt "$gen" ] || api_fail "generation $got after the reload, was $gen"
api_get /v1/status
assert_api_jq '.reload.last.kind + " " + .reload.last.result' "api ok"
assert_api_jq .reload.in_progress false

step "stop"
gslbd_stop
echo "PASS"
