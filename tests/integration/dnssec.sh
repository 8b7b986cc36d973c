#!/bin/sh
# DNSSEC proven by a validating resolver: gslbd signs dnssec.test in memory
# (tests/data/integ/dnssec/: a KSK and a ZSK made here with ldns-keygen)
# and Unbound, with the KSK's DS as its trust anchor and a stub zone
# pointing at gslbd, must resolve every kind of answer as secure (AD=1):
# positive, NXDOMAIN, NODATA, empty non-terminal, wildcard answer and
# NODATA, CNAME chain, DNSKEY, DS of a secure and of an insecure delegation,
# and the load-balanced names before and after a drain moves their answer
# (one and two records), and their NODATA when no datacenter has the
# family. Unbound keeps nothing in its cache (cache-max-ttl 0), so every
# query reaches gslbd. Directly at gslbd: RRSIGs only with DO, never AD, CD
# copied, the same answer as an unsigned zone without DO.
#
# ldns-verify-zone passes on a transfer of the zone, after a ZSK rollover
# done by editing the config and reloading (pre-publish, double signature,
# retire), and after the signatures were refreshed by the timer. The same
# answers validate again with NSEC3. A presigned zone (ldns-signzone) with
# one corrupted signature is served as it is: Unbound answers SERVFAIL for
# that name and still AD=1 for the others, which shows the test looks at
# the signatures.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
[ -x "$UNBOUND" ] || fail "unbound not found (Debian package unbound; .ci/install-deps installs it)"
for t in ldns-keygen ldns-key2ds ldns-signzone ldns-verify-zone curl; do
	command -v $t >/dev/null 2>&1 || fail "$t not found (Debian packages ldnsutils, curl)"
done

ZONE=dnssec.test
TOKEN=dnssec-t0ken-0123456789
D=$top_srcdir/tests/data/integ/dnssec
cp "$D/dnssec.test.zone" "$WORK/"
for z in static unsigned; do
	sed 's/^\$ORIGIN dnssec.test./$ORIGIN '$z'.test./' "$D/dnssec.test.zone" >"$WORK/$z.test.zone"
done
chmod u+w "$WORK"/*.zone

# ---- keys -------------------------------------------------------------------

KSK=$(dnssec_keygen -k $ZONE)
ZSK=$(dnssec_keygen $ZONE)
ZSK2=$(dnssec_keygen $ZONE)
SKSK=$(dnssec_keygen -k static.test)
SZSK=$(dnssec_keygen static.test)
chmod 600 "$WORK"/keys/*.private

# ---- gslbd ------------------------------------------------------------------

# conf KEYS DENIAL [VALIDITY REFRESH]: render $WORK/gslbd.conf. KEYS are
# the YAML items of dnssec.test's keys (one per line); DENIAL nsec or nsec3
# for both signed zones.
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"
conf() {
	# A fixed port: Unbound's stub zones point at it across restarts.
	local listen="    - 127.0.0.1:$GPORT"

	if have_ipv6; then
		listen="$listen"$'\n''    - "[::1]:0"'
	fi
	awk -v listen="$listen" -v keys="$1" -v denial="$2" \
		-v validity="${3:-14d}" -v refresh="${4:-7d}" -v state="$WORK/state.json" \
		-v skeys="        - keys/$SKSK"$'\n'"        - keys/$SZSK" '
		/^@LISTEN@$/ { print listen; next }
		/^@KEYS@$/ { print keys; next }
		/^@STATIC_KEYS@$/ { print skeys; next }
		/^@DENIAL@$/ { print "      denial: " denial; next }
		{ gsub(/@STATE_FILE@/, state); gsub(/@VALIDITY@/, validity); gsub(/@REFRESH@/, refresh); print }
	' "$D/gslbd.conf.in" >"$WORK/gslbd.conf" || fail "cannot render the config"
}
KEYS_START="        - keys/$KSK
        - keys/$ZSK"

# ---- a presigned zone with one bad signature ---------------------------------

PKSK=$(dnssec_keygen -k presigned.test)
PZSK=$(dnssec_keygen presigned.test)
cat >"$WORK/presigned.src" <<'EOF'
$ORIGIN presigned.test.
$TTL 300
@	SOA	ns1 hostmaster 1 3600 900 1209600 30
@	NS	ns1
ns1	A	127.0.0.1
good	A	192.0.2.100
bad	A	192.0.2.101
EOF
(cd "$WORK/keys" && ldns-signzone -f "$WORK/presigned.signed" "$WORK/presigned.src" "$PKSK" "$PZSK") ||
	fail "ldns-signzone failed"
# Flip one character of the signature of bad's A record.
awk '
	$1 == "bad.presigned.test." && $4 == "RRSIG" && $5 == "A" && !done {
		s = $NF; c = substr(s, 10, 1); c = (c == "A") ? "B" : "A"
		$NF = substr(s, 1, 9) c substr(s, 11); done = 1
	}
	{ print }
' "$WORK/presigned.signed" >"$WORK/presigned.test.zone"
cmp -s "$WORK/presigned.signed" "$WORK/presigned.test.zone" && fail "no signature was corrupted"

conf "$KEYS_START" nsec
gslbd_start "$WORK/gslbd.conf"
api_port
grep -q "presigned.test.zone holds signatures: served as it is" "$G_LOG" ||
	fail "the presigned zone was not detected as signed"

# ---- Unbound ------------------------------------------------------------------

ds() { ldns-key2ds -n -2 "$WORK/keys/$1.key" || fail "ldns-key2ds $1"; }
UPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for unbound"
mkdir -p "$WORK/unbound"
{
	unbound_validator_conf "$WORK/unbound" "$UPORT"
	cat <<EOF
	trust-anchor: "$(ds "$KSK")"
	trust-anchor: "$(ds "$SKSK")"
	trust-anchor: "$(ds "$PKSK")"
remote-control:
	control-enable: no
stub-zone:
	name: "dnssec.test."
	stub-addr: 127.0.0.1@$G_UDP
stub-zone:
	name: "static.test."
	stub-addr: 127.0.0.1@$G_UDP
stub-zone:
	name: "presigned.test."
	stub-addr: 127.0.0.1@$G_UDP
EOF
} >"$WORK/unbound/unbound.conf"
"$UNBOUND" -d -c "$WORK/unbound/unbound.conf" >"$WORK/unbound.log" 2>&1 &
U_PID=$!
BG_PIDS="$BG_PIDS $U_PID"

# u NAME TYPE: ask Unbound (DO set), output in $OUT.
u() {
	Q_UDP=$UPORT Q_TCP=$UPORT q +recurse +dnssec "$@"
}
unbound_ready() {
	kill -0 "$U_PID" 2>/dev/null || return 2
	u ns1.$ZONE A
	[ "$(got_rcode)" = NOERROR ]
}
step "start unbound on port $UPORT"
wait_until unbound_ready 10 || {
	cat "$WORK/unbound.log"
	fail "unbound does not answer on port $UPORT"
}

# secure RCODE NAME TYPE: Unbound validates the answer (AD=1) with rcode.
secure() {
	local rc=$1
	shift
	u "$@"
	if [ "$(got_rcode)" != "$rc" ] || ! got_flags | grep -qw ad; then
		show_query
		echo "---- unbound.log (last lines)"
		tail -n 20 "$WORK/unbound.log"
		fail "$* should be $rc and secure (AD=1) through unbound"
	fi
}

# answer_has ADDR: the answer section has an A record of ADDR.
answer_has() {
	section ANSWER | awk '$4 == "A" { print $5 }' | grep -qxF "$1" ||
		qfail "expected an A record of $1 in the answer"
}

# every_kind ZONE: every answer kind of the test zone validates.
every_kind() {
	local z=$1
	secure NOERROR plain.$z A
	secure NOERROR plain.$z AAAA
	secure NOERROR $z SOA
	secure NOERROR $z DNSKEY
	secure NOERROR $z NS
	secure NOERROR mail.$z MX
	secure NXDOMAIN nosuch.$z A
	secure NXDOMAIN deep.below.nosuch.$z A
	secure NOERROR txtonly.$z A             # NODATA
	secure NOERROR plain.$z TXT             # NODATA beside data
	secure NOERROR b.ent.$z A               # empty non-terminal
	secure NOERROR ent.$z A                 # empty non-terminal, one up
	secure NOERROR any.wild.$z A            # wildcard answer
	answer_has 192.0.2.2
	secure NOERROR x.y.wild.$z TXT          # wildcard, two labels deep
	secure NOERROR any.wild.$z MX           # wildcard NODATA
	secure NOERROR c1.$z A                  # CNAME chain c1 -> c2 -> plain
	answer_has 192.0.2.1
	secure NOERROR c1.$z TXT                # CNAME chain ending in NODATA
	secure NOERROR secure.$z DS             # secure delegation
	has_type ANSWER DS 1
	secure NOERROR insecure.$z DS           # insecure delegation: no DS, proven
	secure NXDOMAIN nosuch.wild.nosuch.$z A
}

# lb_secure NAME TYPE ADDR...: a load-balanced answer validates and holds
# exactly ADDR...
lb_secure() {
	local name=$1 type=$2 want got
	shift 2
	secure NOERROR "$name" "$type"
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(echo "$OUT" | awk -v t="$type" '$4 == t { print $5 }' | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || qfail "$name $type through unbound: got '$got', expected '$want'"
}

# has_type SECTION TYPE [COUNT]: the section holds records of TYPE (COUNT
# of them).
has_type() {
	local n
	assert_answered
	n=$(section "$1" | awk -v t="$2" '$4 == t' | grep -c .)
	if [ -n "${3:-}" ]; then
		[ "$n" -eq "$3" ] || qfail "$1 section: expected $3 $2 records, got $n"
	else
		[ "$n" -gt 0 ] || qfail "$1 section: expected $2 records"
	fi
}

drain() {
	api_post "/v1/datacenters/$1/drain" "$TOKEN"
	[ "$API_CODE" = 200 ] || api_fail "drain $1"
}
undrain() {
	api_post "/v1/datacenters/$1/undrain" "$TOKEN"
	[ "$API_CODE" = 200 ] || api_fail "undrain $1"
}

# load_balanced: the load-balanced names, then a drain, then back.
load_balanced() {
	lb_secure www.$ZONE A 192.0.2.10
	lb_secure www.$ZONE AAAA 2001:db8:10::1
	lb_secure multi.$ZONE A 192.0.2.10 198.51.100.10
	lb_secure multi.$ZONE AAAA 2001:db8:10::1 2001:db8:20::1
	secure NOERROR www.$ZONE TXT              # NODATA at a load-balanced name
	secure NXDOMAIN below.www.$ZONE A
	lb_secure v4only.$ZONE A 203.0.113.10
	secure NOERROR v4only.$ZONE AAAA          # no datacenter with IPv6: NODATA
	has_type ANSWER AAAA 0
	drain one
	lb_secure www.$ZONE A 198.51.100.10       # the failover moved the answer
	lb_secure www.$ZONE AAAA 2001:db8:20::1
	lb_secure multi.$ZONE A 198.51.100.10
	drain three
	secure NOERROR v4only.$ZONE A             # every datacenter down: NODATA
	has_type ANSWER A 0
	undrain one
	undrain three
	lb_secure www.$ZONE A 192.0.2.10
}

step "NSEC: every kind of answer validates"
every_kind $ZONE
every_kind static.test

step "NSEC: load-balanced names validate before and after a drain"
load_balanced

step "DO=1 answers carry RRSIGs, DO=0 none; AD never set, CD copied"
q plain.$ZONE A +dnssec
has_type ANSWER RRSIG 1
assert_noflag ad
q plain.$ZONE A +nodnssec
has_type ANSWER RRSIG 0
q nosuch.$ZONE A +dnssec
has_type AUTHORITY NSEC 2                   # multi's covers nosuch, the apex's *.$ZONE
has_type AUTHORITY RRSIG 3
q nosuch.$ZONE A
has_type AUTHORITY NSEC 0
has_type AUTHORITY RRSIG 0
q www.$ZONE A +dnssec +cd
assert_flag cd
assert_noflag ad
has_type ANSWER RRSIG 1
q www.$ZONE A +nodnssec
has_type ANSWER RRSIG 0
q insecure.$ZONE A +dnssec
has_type AUTHORITY NS 1
has_type AUTHORITY NSEC 1
has_type AUTHORITY DS 0
q secure.$ZONE A +dnssec
has_type AUTHORITY DS 1
has_type AUTHORITY NSEC 0
# Without DO the signed zone answers as the same file unsigned does.
for qn in "plain A" "plain ANY" "txtonly A" "nosuch A" "any.wild A" "any.wild MX" "c1 A" \
	"secure A" "insecure DS" "mail MX" "b.ent A" "@ SOA" "@ NS"; do
	set -- $qn
	n=$1.
	[ "$n" = "@." ] && n=
	q ${n}$ZONE $2 +nodnssec +noall +answer +authority +additional
	signed=$(echo "$OUT" | grep -v '^;' | awk '{ $1 = $1; print }' | sort)
	q ${n}unsigned.test $2 +nodnssec +noall +answer +authority +additional
	other=$(echo "$OUT" | grep -v '^;' | sed 's/unsigned\.test\./dnssec.test./g' |
		awk '{ $1 = $1; print }' | sort)
	[ "$signed" = "$other" ] || {
		echo "dnssec.test: $signed"
		echo "unsigned.test: $other"
		fail "DO=0 answers of the signed and unsigned zones differ for $qn"
	}
done

step "a corrupted signature in a presigned zone fails validation"
secure NOERROR good.presigned.test A
u bad.presigned.test A
[ "$(got_rcode)" = SERVFAIL ] || qfail "the corrupted signature should make unbound answer SERVFAIL"
secure NOERROR good.presigned.test A

step "ldns-verify-zone passes on the transfers"
dnssec_verify_zone $ZONE "$KSK"
dnssec_verify_zone static.test "$SKSK"

reload() {
	api_post /v1/reload "$TOKEN"
	[ "$API_CODE" = 200 ] || api_fail "reload"
}
step "ZSK rollover by config: pre-publish, double signature, retire"
conf "$KEYS_START
        - {file: keys/$ZSK2, state: publish}" nsec
reload
q $ZONE DNSKEY +dnssec
has_type ANSWER DNSKEY 3
dnssec_verify_zone $ZONE "$KSK"
secure NOERROR plain.$ZONE A
conf "$KEYS_START
        - keys/$ZSK2" nsec
reload
q plain.$ZONE A +dnssec
has_type ANSWER RRSIG 2
dnssec_verify_zone $ZONE "$KSK"
secure NOERROR plain.$ZONE A
lb_secure www.$ZONE A 192.0.2.10
conf "        - keys/$KSK
        - keys/$ZSK2" nsec
reload
q $ZONE DNSKEY +dnssec
has_type ANSWER DNSKEY 2
dnssec_verify_zone $ZONE "$KSK"
every_kind $ZONE
load_balanced

step "signatures refreshed by the timer before they expire"
gslbd_stop
conf "$KEYS_START" nsec 2m 115s
gslbd_start "$WORK/gslbd.conf"
api_port
expiry() {
	api_get /metrics
	echo "$API_BODY" | awk -v z="{zone=\"$ZONE\"}" \
		'$1 == "gslbd_dnssec_signatures_expiry_seconds" z { print $2 }'
}
E1=$(expiry)
[ -n "$E1" ] || fail "no gslbd_dnssec_signatures_expiry_seconds for $ZONE"
log_wait "signatures of zone $ZONE are due for refresh" 15
refreshed() { [ "$(expiry)" -gt "$E1" ]; }
wait_until refreshed 10 || fail "the signatures' expiry did not move after the refresh"
dnssec_verify_zone $ZONE "$KSK"
secure NOERROR plain.$ZONE A
lb_secure www.$ZONE A 192.0.2.10

step "NSEC3: every kind of answer validates"
gslbd_stop
conf "$KEYS_START" nsec3
gslbd_start "$WORK/gslbd.conf"
api_port
q $ZONE NSEC3PARAM +dnssec
has_type ANSWER NSEC3PARAM 1
every_kind $ZONE
every_kind static.test
load_balanced
# A transfer with NSEC3 verifies too, load-balanced names included.
dnssec_verify_zone $ZONE "$KSK"
dnssec_verify_zone static.test "$SKSK"
gslbd_stop
