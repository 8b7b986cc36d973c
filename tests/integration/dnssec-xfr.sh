#!/bin/sh
# What a secondary gets of a zone gslbd signs, load-balanced names included,
# must verify and serve validating answers. dnssec.test (signed in memory,
# with the keys made here) has load-balanced names of every kind: a
# failover pool, an "all" pool, an IPv4-only pool, a CNAME datacenter, a
# pool mixing a CNAME datacenter with one with addresses, a wildcard, and
# a name whose transfer_answer lists one datacenter of its pool.
# With NSEC and then NSEC3:
#   - an AXFR passes dnssec-verify (bind9-utils) and ldns-verify-zone, and
#     carries each load-balanced name's transfer answer (every datacenter
#     of its pool, or those of its transfer_answer) with its RRSIG;
#   - NSD, a secondary that transfers the zone from gslbd (request-xfr),
#     serves it, and Unbound validating through NSD (the KSK's DS as trust
#     anchor) answers secure (AD=1) for every name of the zone, the
#     load-balanced ones with their transfer answer, and for their NODATA
#     and NXDOMAIN answers;
#   - gslbd's own answers stay dynamic (the failover pool answers its first
#     datacenter only) and validate through a second Unbound.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
[ -x "$UNBOUND" ] || fail "unbound not found (Debian package unbound; .ci/install-deps installs it)"
[ -x "$NSD" ] || fail "nsd not found (Debian package nsd; .ci/install-deps installs it)"
for t in ldns-keygen ldns-key2ds ldns-verify-zone dnssec-verify; do
	command -v $t >/dev/null 2>&1 ||
		fail "$t not found (Debian packages ldnsutils, bind9-utils; .ci/install-deps installs them)"
done

ZONE=dnssec.test
cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone" ||
	fail "cannot copy the zone"
KSK=$(dnssec_keygen -k $ZONE)
ZSK=$(dnssec_keygen $ZONE)
chmod 600 "$WORK"/keys/*.private

# conf DENIAL: render $WORK/gslbd.conf signing with nsec or nsec3.
LISTEN='    - 127.0.0.1:0'
if have_ipv6; then
	LISTEN="$LISTEN"$'\n''    - "[::1]:0"'
fi
conf() {
	cat >"$WORK/gslbd.conf" <<EOF
server:
  listen:
$LISTEN
  workers: 1
  state_file: state.json
log:
  level: info
zones:
  - name: $ZONE
    file: dnssec.test.zone
    allow_transfer: [127.0.0.1]
    dnssec:
      keys:
        - keys/$KSK
        - keys/$ZSK
      denial: $1
datacenters:
  - name: one
    latitude: 40.71
    longitude: -74.01
    ipv4: 192.0.2.10
    ipv6: "2001:db8:10::1"
  - name: two
    latitude: 53.35
    longitude: -6.26
    ipv4: 198.51.100.10
    ipv6: "2001:db8:20::1"
  - name: three
    latitude: 1.35
    longitude: 103.82
    ipv4: 203.0.113.10
  - name: cdn
    latitude: 48.85
    longitude: 2.35
    cname: plain.$ZONE.
pools:
  - name: primary
    datacenters: [one, two]
    policy: failover
    ttl: 30
  - name: both
    datacenters: [one, two]
    policy: all
    ttl: 30
  - name: v4only
    datacenters: [three]
    policy: failover
    when_all_down: empty
    ttl: 30
  - name: aliased
    datacenters: [cdn]
    policy: failover
    ttl: 60
  - name: mixed
    datacenters: [cdn, three]
    policy: failover
    ttl: 30
names:
  - name: www.$ZONE
    pool: primary
  - name: multi.$ZONE
    pool: both
  - name: v4only.$ZONE
    pool: v4only
  - name: alias.$ZONE
    pool: aliased
  - name: mixed.$ZONE
    pool: mixed
  - name: "*.lbwild.$ZONE"
    pool: primary
  - name: pinned.$ZONE
    pool: primary
    transfer_answer: [two]
EOF
}

# ---- queries through a validating Unbound -----------------------------------

ds() { ldns-key2ds -n -2 "$WORK/keys/$KSK.key" || fail "ldns-key2ds $KSK"; }

# unbound_start NAME PORT: an Unbound (pid in U_PID_NAME) validating
# dnssec.test with the KSK's DS, asking the server on 127.0.0.1@PORT.
# Its own port in UPORT_NAME.
unbound_start() {
	local name=$1 up=$2 port dir=$WORK/unbound-$1 pid
	port=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for unbound"
	mkdir -p "$dir"
	{
		unbound_validator_conf "$dir" "$port"
		cat <<EOF
	trust-anchor: "$(ds)"
remote-control:
	control-enable: no
stub-zone:
	name: "$ZONE."
	stub-addr: 127.0.0.1@$up
EOF
	} >"$dir/unbound.conf"
	"$UNBOUND" -d -c "$dir/unbound.conf" >"$dir/log" 2>&1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	eval "U_PID_$name=$pid UPORT_$name=$port"
	U=$name
	wait_until unbound_ready 10 || {
		cat "$dir/log"
		fail "unbound $name does not answer on port $port"
	}
}
unbound_ready() {
	local pid
	eval "pid=\$U_PID_$U"
	kill -0 "$pid" 2>/dev/null || return 2
	u ns1.$ZONE A
	[ "$(got_rcode)" = NOERROR ]
}
unbound_stop() {
	local pid
	eval "pid=\$U_PID_$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bg_forget "$pid"
}

# u NAME TYPE: ask the current Unbound ($U; DO set), output in $OUT.
u() {
	local port
	eval "port=\$UPORT_$U"
	Q_UDP=$port Q_TCP=$port q +recurse +dnssec "$@"
}

# secure RCODE NAME TYPE: the current Unbound validates the answer (AD=1)
# with rcode.
secure() {
	local rc=$1
	shift
	u "$@"
	if [ "$(got_rcode)" != "$rc" ] || ! got_flags | grep -qw ad; then
		show_query
		echo "---- unbound $U log (last lines)"
		tail -n 20 "$WORK/unbound-$U/log"
		fail "$* should be $rc and secure (AD=1) through unbound $U"
	fi
}

# rrs TYPE: the data of the TYPE records of the answer, sorted, on one line.
rrs() {
	echo "$OUT" | awk -v t="$1" '!/^;/ && $4 == t { print $5 }' | sort | tr '\n' ' '
}

# holds NAME TYPE DATA...: the answer validates and its TYPE records are
# exactly DATA...
holds() {
	local name=$1 type=$2 want
	shift 2
	secure NOERROR "$name" "$type"
	want=
	[ $# -eq 0 ] || want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$(rrs "$type")" = "$want" ] ||
		qfail "$name $type through unbound $U: got '$(rrs "$type")', expected '$want'"
}

# ---- NSD as a secondary ---------------------------------------------------------

# nsd_start: NSD on a free port transferring dnssec.test from gslbd
# (request-xfr over TCP); returns once it serves the zone. NSD_PORT, NSD_PID.
nsd_start() {
	local dir=$WORK/nsd
	rm -rf "$dir"
	mkdir -p "$dir"
	NSD_PORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for nsd"
	cat >"$dir/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$NSD_PORT
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$dir"
	database: ""
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	pidfile: "$dir/nsd.pid"
	logfile: "$dir/nsd.log"
	verbosity: 2
remote-control:
	control-enable: no
zone:
	name: "$ZONE"
	zonefile: "$ZONE.zone"
	request-xfr: AXFR 127.0.0.1@$G_TCP NOKEY
	allow-notify: 127.0.0.1 NOKEY
EOF
	"$NSD" -d -c "$dir/nsd.conf" >"$dir/stdout" 2>&1 &
	NSD_PID=$!
	BG_PIDS="$BG_PIDS $NSD_PID"
	wait_until nsd_serves 20 || {
		cat "$dir/stdout" "$dir/nsd.log" 2>/dev/null | tail -n 30
		fail "nsd does not serve $ZONE transferred from gslbd"
	}
}
nsd_serves() {
	kill -0 "$NSD_PID" 2>/dev/null || return 2
	Q_UDP=$NSD_PORT Q_TCP=$NSD_PORT q $ZONE SOA +norecurse
	[ "$(got_rcode)" = NOERROR ] && got_flags | grep -qw aa
}
nsd_stop() {
	kill "$NSD_PID" 2>/dev/null
	wait "$NSD_PID" 2>/dev/null
	bg_forget "$NSD_PID"
}

# ---- the checks -------------------------------------------------------------------

# transfer DENIAL: AXFR of the zone into $WORK/axfr.DENIAL; dnssec-verify
# and ldns-verify-zone pass on it.
transfer() {
	local f=$WORK/axfr.$1 rr n t d
	q axfr $ZONE +onesoa
	assert_out_lacks "Transfer failed"
	echo "$OUT" | grep -v '^;' | grep -v '^$' >"$f"
	if ! dnssec-verify -o $ZONE "$f" >"$WORK/dnssec-verify.out" 2>&1; then
		cat "$WORK/dnssec-verify.out"
		fail "dnssec-verify fails on the transfer ($1)"
	fi
	if ! ldns-verify-zone -k "$WORK/keys/$KSK.key" "$f" >"$WORK/verify.out" 2>&1; then
		cat "$WORK/verify.out"
		fail "ldns-verify-zone fails on the transfer ($1)"
	fi
	# The transfer answer of each kind of load-balanced name, signed.
	for rr in "www A 192.0.2.10" "www A 198.51.100.10" "www AAAA 2001:db8:20::1" \
		"multi AAAA 2001:db8:10::1" "v4only A 203.0.113.10" "alias CNAME plain.$ZONE." \
		"mixed A 203.0.113.10" "*.lbwild A 198.51.100.10" "www RRSIG A" "alias RRSIG CNAME" \
		"*.lbwild RRSIG AAAA"; do
		read -r n t d <<<"$rr"
		awk -v n="$n.$ZONE." -v t="$t" -v d="$d" '$1 == n && $4 == t && $5 == d { f = 1 }
			END { exit !f }' "$f" || fail "the transfer lacks $rr"
	done
	for rr in "v4only AAAA" "alias A" "mixed CNAME" "mixed AAAA"; do
		read -r n t <<<"$rr"
		! awk -v n="$n.$ZONE." -v t="$t" '$1 == n && $4 == t { f = 1 } END { exit !f }' "$f" ||
			fail "the transfer has $rr records"
	done
}

# through_secondary: every name validates through NSD.
through_secondary() {
	holds plain.$ZONE A 192.0.2.1
	holds plain.$ZONE AAAA 2001:db8::1
	secure NOERROR $ZONE SOA
	secure NOERROR $ZONE DNSKEY
	secure NOERROR $ZONE NS
	secure NOERROR ns1.$ZONE A
	secure NOERROR mail.$ZONE MX
	secure NOERROR txtonly.$ZONE TXT
	secure NOERROR txtonly.$ZONE A          # NODATA
	secure NOERROR a.b.ent.$ZONE A
	secure NOERROR b.ent.$ZONE A            # empty non-terminal
	holds any.wild.$ZONE A 192.0.2.2
	holds c1.$ZONE A 192.0.2.1
	secure NOERROR secure.$ZONE DS
	secure NOERROR insecure.$ZONE DS
	secure NXDOMAIN nosuch.$ZONE A
	# Load-balanced names: the transfer answer, all datacenters of the pool.
	holds www.$ZONE A 192.0.2.10 198.51.100.10
	holds www.$ZONE AAAA 2001:db8:10::1 2001:db8:20::1
	holds multi.$ZONE A 192.0.2.10 198.51.100.10
	holds multi.$ZONE AAAA 2001:db8:10::1 2001:db8:20::1
	holds v4only.$ZONE A 203.0.113.10
	holds v4only.$ZONE AAAA                 # NODATA: the pool has no IPv6
	holds alias.$ZONE CNAME plain.$ZONE.
	holds alias.$ZONE A 192.0.2.1           # through the CNAME
	holds mixed.$ZONE A 203.0.113.10
	holds mixed.$ZONE AAAA                  # NODATA
	holds x.lbwild.$ZONE A 192.0.2.10 198.51.100.10
	holds y.z.lbwild.$ZONE AAAA 2001:db8:10::1 2001:db8:20::1
	holds www.$ZONE TXT                     # NODATA
	secure NXDOMAIN below.www.$ZONE A
	# transfer_answer: the datacenters listed only.
	holds pinned.$ZONE A 198.51.100.10
	holds pinned.$ZONE AAAA 2001:db8:20::1
}

# from_gslbd: gslbd's own answers are still chosen per query and validate.
from_gslbd() {
	holds www.$ZONE A 192.0.2.10            # failover: the first datacenter
	holds www.$ZONE AAAA 2001:db8:10::1
	holds multi.$ZONE A 192.0.2.10 198.51.100.10
	holds v4only.$ZONE AAAA
	holds alias.$ZONE CNAME plain.$ZONE.
	holds mixed.$ZONE CNAME plain.$ZONE.    # its first datacenter is the CNAME
	holds x.lbwild.$ZONE A 192.0.2.10
	holds pinned.$ZONE A 192.0.2.10
	holds www.$ZONE TXT
	secure NXDOMAIN nosuch.$ZONE A
}

for denial in nsec nsec3; do
	step "$denial: the transfer verifies (dnssec-verify, ldns-verify-zone)"
	conf $denial
	gslbd_start "$WORK/gslbd.conf"
	transfer $denial

	step "$denial: NSD transfers the zone from gslbd; every name validates through it"
	nsd_start
	unbound_start secondary "$NSD_PORT"
	through_secondary

	step "$denial: gslbd's own answers stay dynamic and validate"
	unbound_start primary "$G_UDP"
	from_gslbd

	unbound_stop primary
	unbound_stop secondary
	nsd_stop
	gslbd_stop
done
