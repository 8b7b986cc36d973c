#!/bin/sh
# Catalog zones (RFC 9432) with gslbd as consumer: Knot DNS generates the
# catalog of its zones (catalog-role generate); gslbd, a secondary of the
# catalog (catalog: true), serves each member zone it lists as a secondary
# zone from the same primary. A zone added on Knot is answered by gslbd,
# a zone removed stops being answered (REFUSED), with no reload and no
# restart asked of gslbd; a restart keeps the membership (the catalog is
# kept in server.storage) and serves the members from disk at once.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

need_knot

KDIR=$WORK/knot
mkdir -p "$KDIR" "$WORK/storage"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"

for z in m1 m2 m3; do
	printf '$ORIGIN %s.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.%s\n' \
		"$z" "${z#m}" >"$KDIR/$z.test.zone"
done
# knot_conf MEMBER...: Knot's config with these member zones.
knot_conf() {
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
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
    semantic-checks: off
    acl: xfr
    notify: gslbd
zone:
  - domain: catalog.test
    catalog-role: generate
CONF
		for m in "$@"; do
			printf '  - domain: %s.test\n    catalog-role: member\n    catalog-zone: catalog.test\n' "$m"
		done
		printf 'log:\n  - target: stderr\n    any: info\n'
	} >"$KDIR/knot.conf"
}
knot_conf m1 m2
primary_start "$WORK/knot.log" knotd "$KPORT" m1.test 10 "$KNOTD" -c "$KDIR/knot.conf"
KNOT_PID=$PRIMARY_PID

{
	secondary_conf_head storage
	cat <<CONF
api:
  listen: ["127.0.0.1:0"]
zones:
  - name: catalog.test
    primaries: ["127.0.0.1:$KPORT"]
    catalog: true
CONF
} >"$WORK/gslbd.conf"

# answers NAME ADDRESS: gslbd answers NAME A with ADDRESS.
answers() {
	q "$1" A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q "A[[:space:]]*$2\$"
}

step "the catalog's members are served (m1, m2)"
gslbd_start "$WORK/gslbd.conf"
wait_until 'answers www.m1.test 192.0.2.1 && answers www.m2.test 192.0.2.2' 15 ||
	qfail "the members of the catalog are not served"
log_wait 'xfr: catalog catalog.test changed' 2
q www.m3.test A
assert_rcode REFUSED
api_port
api_get /v1/status
assert_api_code 200
assert_api_jq '[.zones[] | select(.name == "m2.test.") | .secondary, .serving, .catalog] | map(tostring) | join(" ")' "true true catalog.test"

step "a zone added on Knot is served, with no reload asked of gslbd"
knot_conf m1 m2 m3
"$KNOTC" -c "$KDIR/knot.conf" reload >>"$WORK/knot.log" 2>&1 || fail "knotc reload"
wait_until 'answers www.m3.test 192.0.2.3' 15 || qfail "the added member is not served"

step "a zone removed on Knot is no longer served"
knot_conf m2 m3
"$KNOTC" -c "$KDIR/knot.conf" reload >>"$WORK/knot.log" 2>&1 || fail "knotc reload"
m1_gone() {
	q www.m1.test A
	[ "$(got_rcode)" = REFUSED ]
}
wait_until m1_gone 15 || qfail "the removed member is still served"
log_wait 'xfr: zone m1.test: no longer a secondary zone' 2
[ ! -e "$WORK/storage/m1.test.zone" ] || fail "the removed member's file stayed"
answers www.m2.test 192.0.2.2 || qfail "m2 no longer served"

step "a restart with Knot stopped: the members are served from disk"
primary_stop "$KNOT_PID" knotd
gslbd_stop
gslbd_start "$WORK/gslbd.conf"
answers www.m2.test 192.0.2.2 || qfail "m2 not served from disk after the restart"
answers www.m3.test 192.0.2.3 || qfail "m3 not served from disk after the restart"
q www.m1.test A
assert_rcode REFUSED
gslbd_stop
echo PASS
