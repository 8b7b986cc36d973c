#!/bin/sh
# gslbd as a secondary of Knot DNS (both on loopback): the zone comes by
# AXFR at start and is kept in server.storage; a change on Knot reaches
# gslbd by NOTIFY and IXFR (the time from Knot's reload to gslbd's new
# answer is printed); a NOTIFY from an address that is not a primary is
# REFUSED; a restart serves the stored zone before any transfer; with Knot
# stopped, gslbd serves until the SOA's expire, then answers SERVFAIL; the
# transferred zone answers as the same zone loaded from a file would. Every
# exchange is signed with a TSIG key (Knot refuses unsigned transfers); a
# gslbd with a wrong secret gets nothing. The
# zone's SOA has small timers (refresh 2 s, retry 1 s, expire 8 s times the
# time factor, so that a restart under valgrind still comes before it) so
# that refresh and expire happen within the test.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

need_knot
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"

KDIR=$WORK/knot
mkdir -p "$KDIR" "$WORK/storage"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"
EXPIRE=$((8 * TF))

# zone SERIAL [EXTRA-RECORDS]: the zone on Knot's side.
zone() {
	{
		printf '$ORIGIN sec.test.\n$TTL 300\n'
		printf '@ SOA ns hostmaster %s 2 1 %s 60\n@ NS ns\nns A 192.0.2.1\n' "$1" "$EXPIRE"
		printf 'www A 192.0.2.10\nmail MX 10 mx\nmx A 192.0.2.11\n*.wild TXT "any"\n'
		printf 'sub NS ns.sub\nns.sub A 192.0.2.53\n'
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$KDIR/sec.test.zone.new"
	mv "$KDIR/sec.test.zone.new" "$KDIR/sec.test.zone"
}
zone 1
SECRET=$(head -c 32 /dev/urandom | base64)
BADSECRET=$(head -c 32 /dev/urandom | base64)

{
	knot_conf_head
	cat <<CONF
key:
  - id: xfr-key.
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: gslbd
    address: 127.0.0.1@$GPORT
    key: xfr-key.
acl:
  - id: xfr
    address: 127.0.0.1
    key: xfr-key.
    action: transfer
template:
  - id: default
    storage: "$KDIR"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: sec.test
    file: "$KDIR/sec.test.zone"
    acl: xfr
    notify: gslbd
log:
  - target: stderr
    any: info
CONF
} >"$KDIR/knot.conf"

knot_start() {
	primary_start "$WORK/knot.log" knotd "$KPORT" sec.test 10 "$KNOTD" -c "$KDIR/knot.conf"
	KNOT_PID=$PRIMARY_PID
}
knot_stop() {
	primary_stop "$KNOT_PID" knotd
}

# gslbd_conf OUT SECRET STORAGE
gslbd_conf() {
	{
		secondary_conf_head "$3"
		cat <<CONF
  allow_transfer: [127.0.0.1]
api:
  listen: ["127.0.0.1:0"]
keys:
  - name: xfr-key.
    algorithm: hmac-sha256
    secret: "$2"
zones:
  - name: sec.test
    primaries: [{address: "127.0.0.1:$KPORT", key: xfr-key.}]
CONF
	} >"$1"
}
gslbd_conf "$WORK/gslbd.conf" "$SECRET" storage

step "start Knot (serial 1), then gslbd: the zone comes by AXFR"
knot_start
gslbd_start "$WORK/gslbd.conf"
www_is() {
	q www.sec.test A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q "A[[:space:]]*$1\$"
}
wait_until 'www_is 192.0.2.10' 10 || qfail "the zone was not transferred"
assert_flag aa
log_wait 'xfr: zone sec.test: serial 1 by axfr from 127.0.0.1' 5
[ -s "$WORK/storage/sec.test.zone" ] || fail "no storage/sec.test.zone after the transfer"
grep -q 'SOA' "$WORK/storage/sec.test.zone" || fail "the stored zone has no SOA"

step "the transferred zone answers as the file it came from"
cp "$KDIR/sec.test.zone" "$WORK/file.zone"
cat >"$WORK/file.conf" <<CONF
server:
  listen: ["127.0.0.1:0"$(have_ipv6 && echo ', "[::1]:0"')]
  workers: 1
  state_file: ""
api:
  listen: ["127.0.0.1:0"]
zones:
  - name: sec.test
    file: file.zone
CONF
SEC_UDP=$G_UDP SEC_TCP=$G_TCP SEC_PID=$G_PID SEC_LOG=$G_LOG
gslbd_start "$WORK/file.conf" file
FILE_UDP=$G_UDP FILE_TCP=$G_TCP FILE_PID=$G_PID
for query in "sec.test SOA" "sec.test NS" "www.sec.test A" "www.sec.test AAAA" \
	"nope.sec.test A" "mail.sec.test MX" "x.wild.sec.test TXT" "a.sub.sec.test A" \
	"sub.sec.test NS" "sec.test ANY"; do
	# shellcheck disable=SC2086 # the query is words on purpose
	Q_UDP=$SEC_UDP Q_TCP=$SEC_TCP q $query
	a=$(echo "$OUT" | grep -Ev '^;; (Query time|SERVER|WHEN|MSG SIZE)|^; <<>>|->>HEADER|^; COOKIE' | sed 's/id: [0-9]*//')
	# shellcheck disable=SC2086
	Q_UDP=$FILE_UDP Q_TCP=$FILE_TCP q $query
	b=$(echo "$OUT" | grep -Ev '^;; (Query time|SERVER|WHEN|MSG SIZE)|^; <<>>|->>HEADER|^; COOKIE' | sed 's/id: [0-9]*//')
	[ "$a" = "$b" ] || fail "'$query' differs: transferred:
$a
from the file:
$b"
done
gslbd_stop
G_PID=$SEC_PID G_LOG=$SEC_LOG G_UDP=$SEC_UDP G_TCP=$SEC_TCP

step "a change on Knot: NOTIFY, then IXFR; gslbd answers the new data"
zone 2 'new A 192.0.2.99'
t0=$(now_ms)
"$KNOTC" -c "$KDIR/knot.conf" zone-reload sec.test >>"$WORK/knot.log" 2>&1 || fail "knotc zone-reload"
new_is() {
	q new.sec.test A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q '192.0.2.99'
}
wait_until new_is 10 || qfail "the change did not reach gslbd"
t1=$(now_ms)
echo "primary reloaded -> gslbd answers the change: $((t1 - t0)) ms"
log_wait 'xfr: zone sec.test: NOTIFY' 2
log_wait 'xfr: zone sec.test: serial 2 by ixfr from' 2
grep -q 'serial 2' "$WORK/storage/sec.test.zone" ||
	grep -Eq "SOA.* 2 2 1 $EXPIRE 60" "$WORK/storage/sec.test.zone" || fail "storage does not hold serial 2"

step "a NOTIFY from an address that is not a primary is REFUSED"
python3 - "$G_UDP" <<'PY' || fail "NOTIFY from 127.0.0.2 was not refused"
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x4242, 4 << 11 | 0x0400, 1, 0, 0, 0)
q += b"\x03sec\x04test\x00" + struct.pack(">HH", 6, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 0))
s.settimeout(3)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
r = s.recv(512)
sys.exit(0 if (struct.unpack(">H", r[2:4])[0] & 15) == 5 else 1)
PY

step "a wrong TSIG secret: nothing is transferred (SERVFAIL), the failure logged"
gslbd_stop
mkdir -p "$WORK/storage-bad"
gslbd_conf "$WORK/bad.conf" "$BADSECRET" storage-bad
G_START_ERRORS_OK=1 gslbd_start "$WORK/bad.conf" bad
log_wait 'xfr: zone sec.test: refresh failed: .*TSIG' 10
q www.sec.test A
assert_rcode SERVFAIL
[ ! -e "$WORK/storage-bad/sec.test.zone" ] || fail "a zone was stored with a wrong key"
gslbd_stop
gslbd_start "$WORK/gslbd.conf"

step "restart with Knot stopped: the stored zone is served before any transfer"
knot_stop
gslbd_stop
gslbd_start "$WORK/gslbd.conf"
q new.sec.test A
assert_rcode NOERROR
section answer | grep -q '192.0.2.99' || qfail "the stored zone is not served after the restart"
log_wait 'xfr: zone sec.test: serial 2 held in' 2

step "no primary: served until expire ($EXPIRE s after the last refresh), then SERVFAIL"
log_wait 'xfr: zone sec.test: refresh failed' 5
wait_until '! www_is 192.0.2.10' 15 || qfail "still answered 15 s after the primary stopped"
q www.sec.test A
assert_rcode SERVFAIL
log_wait 'xfr: zone sec.test: expired' 2
api_port
api_get /v1/status
assert_api_jq '.zones[0].secondary and (.zones[0].serving | not)' true
[ -e "$WORK/storage/sec.test.zone.expired" ] || fail "no expired mark beside the stored zone"

step "the primary back: the zone is transferred and served again"
knot_start
wait_until 'www_is 192.0.2.10' 15 || qfail "not served again once the primary is back"
[ ! -e "$WORK/storage/sec.test.zone.expired" ] || fail "the expired mark stayed"

gslbd_stop
knot_stop
echo PASS
