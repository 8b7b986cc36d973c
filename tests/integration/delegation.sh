#!/bin/sh
# The delegation of doc/deployment.md, end to end: a root and a parent zone
# served by Knot DNS, the parent delegating gslb.example. to gslbd with an
# NS record and its glue, and Unbound resolving from the root hints, all on
# port 53 of their own addresses in a network namespace of the test's own
# (127.0.0.2 the root, 127.0.0.3 the parent, 127.0.0.4 and 127.0.0.6
# gslbd's ns1 and ns2, 127.0.0.5 Unbound). Checks that dig +trace follows
# the delegation to gslbd, that Zonemaster finds nothing wrong with it but
# the loopback addresses, that
# Unbound answers the load-balanced name with gslbd's answer for the
# client's network (EDNS Client Subnet passed on), and that a drain through
# gslbd's API reaches the resolver's clients.
#
# Needs root (ip netns); without it the test is skipped, in CI (CI=true)
# it fails.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
[ -x "$KNOTD" ] || fail "knotd not found (Debian package knot; sh .ci/install-deps test)"
[ -x "$UNBOUND" ] || fail "unbound not found (Debian package unbound; sh .ci/install-deps test)"
command -v zonemaster-cli >/dev/null 2>&1 ||
	fail "zonemaster-cli not found (Debian package zonemaster-cli; sh .ci/install-deps test)"
command -v ip >/dev/null 2>&1 || fail "ip not found (Debian package iproute2)"
need_api_tools

NS=gslbd-deleg-$$
unavailable() {
	[ "${CI:-}" != true ] || fail "$*"
	skip "$*"
}
[ "$(id -u)" = 0 ] || unavailable "network namespaces need root"
ip netns add "$NS" 2>"$WORK/netns.err" || unavailable "ip netns add: $(cat "$WORK/netns.err")"
mkdir -p "/etc/netns/$NS" && echo "nameserver 127.0.0.5" >"/etc/netns/$NS/resolv.conf" ||
	{ ip netns del "$NS"; fail "cannot write /etc/netns/$NS/resolv.conf"; }
NS_PIDS=
deleg_exit() {
	local rc=$? p
	for p in $NS_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $NS_PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ -n "$G_PID" ]; then
		kill -TERM "$G_PID" 2>/dev/null
		wait "$G_PID" 2>/dev/null
		G_PID=
	fi
	# What still runs in the namespace (a server that outlived the ip
	# netns exec that started it) goes with it.
	for p in $(ip netns pids "$NS" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
	done
	wait_until '[ -z "$(ip netns pids "$NS" 2>/dev/null)" ]' 5 ||
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS"
	(exit "$rc")
	on_exit
}
trap deleg_exit EXIT
nsx() {
	ip netns exec "$NS" "$@"
}
nsx ip link set lo up || fail "cannot bring up lo in $NS"

ROOT_NS=127.0.0.2
PARENT_NS=127.0.0.3
GSLB_NS=127.0.0.4
GSLB_NS2=127.0.0.6
RESOLVER=127.0.0.5

# ---- the root and the parent: Knot DNS ------------------------------------------

step "write the root zone, the parent example. and gslbd's gslb.example."
for z in root parent; do
	mkdir -p "$WORK/$z"
done
cat >"$WORK/root/root.zone" <<EOF
.		3600	IN SOA	a.root. hostmaster.root. 1 3600 600 86400 300
.		3600	IN NS	a.root.
a.root.		3600	IN A	$ROOT_NS
example.	3600	IN NS	ns.example.
ns.example.	3600	IN A	$PARENT_NS
EOF
# The parent's side of the delegation, as doc/deployment.md gives it: the
# NS record of the subdomain and the glue address of its name server.
cat >"$WORK/parent/example.zone" <<EOF
example.		3600	IN SOA	ns.example. hostmaster.example. 1 3600 600 86400 300
example.		3600	IN NS	ns.example.
ns.example.		3600	IN A	$PARENT_NS
gslb.example.		3600	IN NS	ns1.gslb.example.
gslb.example.		3600	IN NS	ns2.gslb.example.
ns1.gslb.example.	3600	IN A	$GSLB_NS
ns2.gslb.example.	3600	IN A	$GSLB_NS2
EOF
# SOA timers as Zonemaster recommends them.
cat >"$WORK/gslb.example.zone" <<EOF
gslb.example.		3600	IN SOA	ns1.gslb.example. hostmaster.gslb.example. 1 14400 3600 604800 300
gslb.example.		3600	IN NS	ns1.gslb.example.
gslb.example.		3600	IN NS	ns2.gslb.example.
ns1.gslb.example.	3600	IN A	$GSLB_NS
ns2.gslb.example.	3600	IN A	$GSLB_NS2
EOF

# knot_conf NAME ADDR DOMAIN FILE
knot_conf() {
	cat >"$WORK/$1/knot.conf" <<EOF
server:
    rundir: "$WORK/$1"
    listen: $2@53
database:
    storage: "$WORK/$1"
template:
  - id: default
    storage: "$WORK/$1"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $3
    file: "$WORK/$1/$4"
log:
  - target: stderr
    any: info
EOF
}
knot_conf root $ROOT_NS . root.zone
knot_conf parent $PARENT_NS example. example.zone
for z in root parent; do
	nsx "$KNOTD" -c "$WORK/$z/knot.conf" >"$WORK/$z/knot.log" 2>&1 &
	NS_PIDS="$NS_PIDS $!"
done

# soa_from ADDR ZONE: ADDR answers ZONE's SOA authoritatively.
soa_from() {
	nsx dig @"$1" "$2" SOA +norecurse +time=1 +tries=1 2>/dev/null | grep -q 'flags: qr aa'
}
step "the root ($ROOT_NS) and the parent ($PARENT_NS) answer"
wait_until "soa_from $ROOT_NS ." 10 || fail "the root's knotd does not answer: $(tail -n 5 "$WORK/root/knot.log")"
wait_until "soa_from $PARENT_NS example." 10 ||
	fail "the parent's knotd does not answer: $(tail -n 5 "$WORK/parent/knot.log")"

# ---- gslbd ------------------------------------------------------------------------------

step "start gslbd on $GSLB_NS:53"
cp "$top_srcdir/tests/data/geo/test-city.mmdb" "$WORK/"
cat >"$WORK/gslbd.conf" <<EOF
server:
  listen: ["$GSLB_NS:53", "$GSLB_NS2:53", "127.0.0.1:0"]
  workers: 1
  state_file: "$WORK/state.json"     # the drain below stays in this test
log:
  level: info
api:
  listen: 127.0.0.1:0
  admin_token: "delegation-test-token"
geoip:
  database: test-city.mmdb
zones:
  - name: gslb.example
    file: gslb.example.zone
datacenters:
  - {name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10}
  - {name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10}
  - {name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10}
pools:
  - {name: web, datacenters: [us-east, eu-west, ap-southeast], policy: nearest, ttl: 1}
names:
  - {name: www.gslb.example, pool: web}
EOF
SAVED_WRAPPER=$TEST_WRAPPER
TEST_WRAPPER="ip netns exec $NS $TEST_WRAPPER"
have_ipv6() { false; }
gslbd_start "$WORK/gslbd.conf"
TEST_WRAPPER=$SAVED_WRAPPER
API_PORT=$(awk '$1 == "http" { print $NF; exit }' "$G_PORTFILE")
[ -n "$API_PORT" ] || fail "no http line in the port file: $(cat "$G_PORTFILE")"

# ---- a real resolver ------------------------------------------------------------------

step "start Unbound on $RESOLVER:53 with the test root as its root hints"
mkdir -p "$WORK/unbound"
cat >"$WORK/unbound/root.hints" <<EOF
.		3600	IN NS	a.root.
a.root.		3600	IN A	$ROOT_NS
EOF
cat >"$WORK/unbound/unbound.conf" <<EOF
server:
	interface: $RESOLVER
	port: 53
	do-ip6: no
	do-not-query-localhost: no
	username: ""
	chroot: ""
	directory: "$WORK/unbound"
	pidfile: "$WORK/unbound/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	root-hints: "$WORK/unbound/root.hints"
	module-config: "subnetcache iterator"
	send-client-subnet: $GSLB_NS
	send-client-subnet: $GSLB_NS2
	access-control: 127.0.0.0/8 allow
	cache-max-ttl: 1
remote-control:
	control-enable: no
EOF
nsx "$UNBOUND" -d -c "$WORK/unbound/unbound.conf" >"$WORK/unbound.log" 2>&1 &
NS_PIDS="$NS_PIDS $!"
wait_until "nsx dig @$RESOLVER . SOA +time=1 +tries=1 2>/dev/null | grep -q 'status: NOERROR'" 10 ||
	fail "unbound does not answer: $(tail -n 5 "$WORK/unbound.log")"

# ---- from outside: dig +trace ---------------------------------------------------------

# dig +trace looks up the addresses of name servers with the host's
# resolver: in the namespace, /etc/resolv.conf is /etc/netns/$NS/resolv.conf
# (ip netns exec mounts it there), and that resolver is Unbound.

step "dig +trace from the root follows the delegation to gslbd"
OUT=$(nsx dig @$ROOT_NS +trace +nodnssec +time=2 +tries=1 www.gslb.example A +subnet=81.2.69.0/24 2>&1) ||
	fail "dig +trace failed: $OUT"
echo "$OUT" | grep -Eq "^gslb\.example\.[[:space:]].*NS[[:space:]]+ns1\.gslb\.example\." ||
	fail "no referral to ns1.gslb.example. in the trace: $OUT"
echo "$OUT" | grep -Eq "^gslb\.example\.[[:space:]].*NS[[:space:]]+ns2\.gslb\.example\." ||
	fail "no referral to ns2.gslb.example. in the trace: $OUT"
echo "$OUT" | grep -q "from $PARENT_NS#53" || fail "the trace did not go through the parent: $OUT"
echo "$OUT" | grep -Eq "^www\.gslb\.example\.[[:space:]]+1[[:space:]]+IN[[:space:]]+A[[:space:]]+198\.51\.100\.10$" ||
	fail "the trace did not end in gslbd's answer for London (eu-west): $OUT"
echo "$OUT" | grep -Eq "from ($GSLB_NS|$GSLB_NS2)#53" || fail "the last answer did not come from gslbd: $OUT"

step "Zonemaster finds no error in the delegation but the loopback addresses"
nsx zonemaster-cli --hints "$WORK/unbound/root.hints" --no-ipv6 --level ERROR --no-progress \
	gslb.example >"$WORK/zonemaster.out" 2>&1 || fail "zonemaster-cli failed: $(cat "$WORK/zonemaster.out")"
grep -Eq "^ *[0-9.]+ +(ERROR|CRITICAL) " "$WORK/zonemaster.out" ||
	fail "Zonemaster reported no error at all (the loopback addresses are one): $(cat "$WORK/zonemaster.out")"
bad=$(grep -E "^ *[0-9.]+ +(ERROR|CRITICAL) " "$WORK/zonemaster.out" | grep -v "'Loopback'" || true)
[ -z "$bad" ] || fail "Zonemaster: $bad"

# resolve SUBNET: the A records Unbound gives www.gslb.example. for a client
# in SUBNET (ECS), one line.
resolve() {
	nsx dig @$RESOLVER www.gslb.example A +subnet="$1" +short +time=2 +tries=1 2>/dev/null | sort | tr '\n' ' ' |
		sed 's/ $//'
}
# expect SUBNET ADDR WHO
expect() {
	local got
	E_SUBNET=$1 E_ADDR=$2
	wait_until '[ "$(resolve "$E_SUBNET")" = "$E_ADDR" ]' 5 ||
		fail "a client in $1 ($3) gets '$(resolve "$1")' through Unbound, expected $2"
	got=$(nsx dig @$RESOLVER www.gslb.example A +subnet="$1" +time=2 +tries=1 2>&1)
	echo "$got" | grep -q 'status: NOERROR' || fail "$got"
	echo "$got" | grep -q 'flags: qr rd ra' || fail "not a recursive answer: $got"
}

step "Unbound resolves the load-balanced name through the delegation"
expect 81.2.69.0/24 198.51.100.10 "London: eu-west"
expect 192.0.2.0/24 192.0.2.10 "New York: us-east"
expect 203.0.113.0/24 203.0.113.10 "Singapore: ap-southeast"
grep -q 'www\.gslb\.example' "$WORK/unbound.log" && fail "Unbound logged trouble: $(grep www "$WORK/unbound.log")"

step "a drain of eu-west reaches the resolver's clients in London"
code=$(nsx curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer delegation-test-token' \
	"http://127.0.0.1:$API_PORT/v1/datacenters/eu-west/drain")
[ "$code" = 200 ] || fail "drain answered HTTP $code"
expect 81.2.69.0/24 192.0.2.10 "London, eu-west drained: us-east"

gslbd_stop
echo "PASS"
