#!/bin/sh
# A secondary zone with load-balanced names and signed in memory: the
# static data comes from Knot by transfer, the load-balanced name from
# gslbd.conf, and gslbd signs the transferred data (dnssec:), the
# load-balanced answers included; after a change on Knot (NOTIFY, IXFR)
# the new record is served signed and the name still load-balanced.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

need_knot
command -v ldns-keygen >/dev/null 2>&1 || fail "ldns-keygen not found (Debian package ldnsutils)"

KDIR=$WORK/knot
mkdir -p "$KDIR" "$WORK/storage"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"

zone() {
	{
		printf '$ORIGIN lb.test.\n$TTL 300\n'
		printf '@ SOA ns hostmaster %s 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n' "$1"
		printf 'static A 192.0.2.5\n'
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$KDIR/lb.test.zone.new"
	mv "$KDIR/lb.test.zone.new" "$KDIR/lb.test.zone"
}
zone 1
{
	knot_conf_head
	cat <<CONF
remote:
  - id: gslbd
    address: 127.0.0.1@$GPORT
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$KDIR"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: lb.test
    file: "$KDIR/lb.test.zone"
    acl: xfr
    notify: gslbd
log:
  - target: stderr
    any: info
CONF
} >"$KDIR/knot.conf"
primary_start "$WORK/knot.log" knotd "$KPORT" lb.test 10 "$KNOTD" -c "$KDIR/knot.conf"
KNOT_PID=$PRIMARY_PID

KSK=$(dnssec_keygen -k lb.test)
ZSK=$(dnssec_keygen lb.test)
{
	secondary_conf_head storage
	cat <<CONF
api:
  listen: ["127.0.0.1:0"]
zones:
  - name: lb.test
    primaries: ["127.0.0.1:$KPORT"]
    dnssec:
      keys: [keys/$KSK, keys/$ZSK]
datacenters:
  - name: one
    latitude: 40.71
    longitude: -74.01
    ipv4: 192.0.2.10
  - name: two
    latitude: 53.35
    longitude: -6.26
    ipv4: 198.51.100.10
pools:
  - name: primary
    datacenters: [one, two]
    policy: failover
    ttl: 30
names:
  - name: www.lb.test
    pool: primary
CONF
} >"$WORK/gslbd.conf"

step "the transferred zone is served signed, with its load-balanced name"
gslbd_start "$WORK/gslbd.conf"
static_signed() {
	q +dnssec static.lb.test A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q '192.0.2.5' &&
		section answer | grep -q 'RRSIG'
}
wait_until static_signed 10 || qfail "the transferred static data is not served signed"
q +dnssec www.lb.test A
assert_rcode NOERROR
section answer | grep -q 'A[[:space:]]*192.0.2.10$' || qfail "the load-balanced name is not answered from its pool"
section answer | grep -q 'RRSIG' || qfail "the load-balanced answer is not signed"
q +dnssec lb.test DNSKEY
section answer | grep -q 'DNSKEY' || qfail "no DNSKEY at the apex"
q +dnssec nope.lb.test A
assert_rcode NXDOMAIN
section authority | grep -q 'NSEC' || qfail "no NSEC denial in the secondary zone"

step "a change on Knot: the new record served signed, the name still load-balanced"
zone 2 'new A 192.0.2.99'
"$KNOTC" -c "$KDIR/knot.conf" zone-reload lb.test >>"$WORK/knot.log" 2>&1 || fail "knotc zone-reload"
new_signed() {
	q +dnssec new.lb.test A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q '192.0.2.99' &&
		section answer | grep -q 'RRSIG'
}
wait_until new_signed 10 || qfail "the change is not served signed"
q www.lb.test A
section answer | grep -q 'A[[:space:]]*192.0.2.10$' || qfail "the load-balanced name is lost after the change"

gslbd_stop
primary_stop "$KNOT_PID" knotd
echo PASS
