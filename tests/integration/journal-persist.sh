#!/bin/sh
# The journal kept in server.storage (server.journal_persist) across a
# restart: gslbd serves example.com to NSD; a change (serial 01 to 02) is
# made while NSD is not told (no notify in that config: it stays at 01,
# its SOA refresh is two hours); gslbd restarts on the same port, reads the
# journal back (it ends at the serial loaded), sends NOTIFY at start, and
# NSD catches up by IXFR from 01, not AXFR; a second change after the
# restart goes by IXFR too, and so does a third read alone (POST
# /v1/reload?zone=), which keeps every zone's journal. The file is replaced atomically and its size
# is bounded. A journal written at another serial, or corrupt, is
# discarded with a log line and gslbd starts. A zone gslbd signs with
# serial_policy increment does not go back to its file's serial after a
# restart: the serial served before comes from its journal file.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
[ -x "$NSD" ] || fail "nsd not found (Debian package nsd; .ci/install-deps installs it)"
for t in ldns-keygen curl; do
	command -v $t >/dev/null 2>&1 || fail "$t not found (.ci/install-deps installs it)"
done

NPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for nsd"
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"
[ "$NPORT" != "$GPORT" ] || GPORT=$("$DNSTEST" freeport 127.0.0.1)
LISTEN="\"127.0.0.1:$GPORT\""
! have_ipv6 || LISTEN="$LISTEN, \"[::1]:$GPORT\""
cp "$DATA/example.com.zone" "$WORK/" && chmod u+w "$WORK/example.com.zone" || fail "cannot copy"
cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone" || fail "cannot copy"
KSK=$(dnssec_keygen -k dnssec.test)
chmod 600 "$WORK"/keys/*.private
JFILE=$WORK/storage/example.com.journal
TOKEN=journal-t0ken-0123456789

# conf NOTIFY: gslbd.conf, with NOTIFY to NSD when NOTIFY is yes.
conf() {
	cat >"$WORK/gslbd.conf" <<CONF
server:
  listen: [$LISTEN]
  workers: 1
  state_file: state.json
  storage: storage
  journal_persist: true
  journal_max: 65536
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
  admin_token: "$TOKEN"
zones:
  - name: example.com
    file: example.com.zone
    allow_transfer: [127.0.0.1]
$([ "$1" = yes ] && echo "    notify: [\"127.0.0.1:$NPORT\"]")
  - name: dnssec.test
    file: dnssec.test.zone
    dnssec:
      keys: [keys/$KSK]
      validity: 2m
      refresh: 110s
CONF
}

# serial PORT ZONE: the SOA serial the server on PORT answers.
serial() {
	Q_UDP=$1 q +notcp "$2" SOA
	echo "$OUT" | awk '$4 == "SOA" { print $7; exit }'
}

start() {
	gslbd_start "$WORK/gslbd.conf"
	[ "$G_TCP" = "$GPORT" ] || fail "gslbd does not listen on $GPORT"
	G_HTTP=$(awk '$1 == "http" { print $4; exit }' "$G_PORTFILE")
}


conf no
start

NDIR=$WORK/nsd
nsd_secondary_start "$NDIR" "$NPORT" <<CONF
zone:
  name: example.com
  zonefile: example.com.zone
  request-xfr: 127.0.0.1@$GPORT NOKEY
  allow-notify: 127.0.0.1 NOKEY
CONF

step "NSD transfers example.com (serial 2024010101)"
wait_until '[ "$(serial "$NPORT" example.com)" = 2024010101 ]' 20 || {
	cat "$NDIR/nsd.log"
	fail "NSD has no copy"
}

step "a change NSD is not told of: the journal file follows it"
sed -i -e 's/2024010101/2024010102/' -e 's/^www\([[:space:]].*A[[:space:]]*\)192\.0\.2\.80$/www\1192.0.2.81/' \
	"$WORK/example.com.zone"
kill -HUP "$G_PID"
log_wait 'reload: ok generation=2 ' 10
[ "$(serial "$G_UDP" example.com)" = 2024010102 ] || fail "gslbd does not serve 2024010102"
[ -s "$JFILE" ] || fail "no journal file at $JFILE"
[ ! -e "$JFILE.tmp" ] || fail "a temporary journal file is left"
size=$(stat -c %s "$JFILE")
echo "journal file after one change: $size bytes"
[ "$size" -le 65536 ] || fail "the journal file ($size bytes) passes journal_max"
[ "$(serial "$NPORT" example.com)" = 2024010101 ] || fail "NSD was told of the change"

step "the signed zone: a re-signing moves its serial past the file's"
wait_until '[ "$(serial "$G_UDP" dnssec.test)" -gt 2026120301 ]' 30 ||
	fail "dnssec.test was not signed again with a new serial"
wait_until '[ -s "$WORK/storage/dnssec.test.journal" ]' 5 || fail "no journal file for dnssec.test"
echo "dnssec.test journal file: $(stat -c %s "$WORK/storage/dnssec.test.journal") bytes"
# The journal file is written before a version is served: it holds this
# serial or a later one.
S_SIGNED=$(serial "$G_UDP" dnssec.test)
gslbd_stop

step "restart (with NOTIFY to NSD): the journal is read back; NSD catches up by IXFR"
conf yes
start
log_wait "journal: zone example.com: 1 difference read from $JFILE" 5
log_wait 'notify: zone=example.com serial=2024010102: telling 1 secondaries' 5
wait_until '[ "$(serial "$NPORT" example.com)" = 2024010102 ]' 15 || {
	cat "$NDIR/nsd.log"
	fail "NSD does not catch up after the restart"
}
wait_until '[ "$(metric "gslbd_xfr_total{type=\"ixfr\"}")" -ge 1 ]' 5 ||
	fail "NSD's transfer after the restart was not an IXFR"
[ "$(metric 'gslbd_xfr_total{type="axfr"}')" -eq 0 ] ||
	fail "a full transfer after the restart: $(metric 'gslbd_xfr_total{type="axfr"}') AXFR"
q ixfr=2024010101 example.com
echo "$OUT" | grep -q 'IN[[:space:]]*SOA.* 2024010101 ' || qfail "IXFR from 2024010101 is not the differences"
echo "$OUT" | grep -q 'www.example.com..*A[[:space:]]*192.0.2.80$' || qfail "IXFR lacks the record removed"

step "the signed zone goes on from the serial served before the restart"
s=$(serial "$G_UDP" dnssec.test)
[ "$s" -gt "$S_SIGNED" ] ||
	fail "dnssec.test is served with serial $s after the restart, not past $S_SIGNED"
log_wait "journal: zone dnssec.test: .* was written at serial [0-9]+, the zone is at $s: discarded" 5

step "a change after the restart: NOTIFY and IXFR"
ixfr0=$(metric 'gslbd_xfr_total{type="ixfr"}')
sed -i -e 's/2024010102/2024010103/' -e 's/^www\([[:space:]].*A[[:space:]]*\)192\.0\.2\.81$/www\1192.0.2.82/' \
	"$WORK/example.com.zone"
kill -HUP "$G_PID"
wait_until '[ "$(serial "$NPORT" example.com)" = 2024010103 ]' 15 || {
	cat "$NDIR/nsd.log"
	fail "NSD does not get the change after the restart"
}
[ "$(metric 'gslbd_xfr_total{type="ixfr"}')" -gt "$ixfr0" ] || fail "not an IXFR"
[ "$(metric 'gslbd_xfr_total{type="axfr"}')" -eq 0 ] || fail "an AXFR"
echo "journal file after two changes: $(stat -c %s "$JFILE") bytes"

step "the zone read again alone (POST /v1/reload?zone=): the journals go on, IXFR"
ixfr0=$(metric 'gslbd_xfr_total{type="ixfr"}')
sed -i -e 's/2024010103/2024010104/' -e 's/^www\([[:space:]].*A[[:space:]]*\)192\.0\.2\.82$/www\1192.0.2.83/' \
	"$WORK/example.com.zone"
api_post "/v1/reload?zone=example.com" "$TOKEN"
assert_api_code 200
wait_until '[ "$(serial "$NPORT" example.com)" = 2024010104 ]' 15 || {
	cat "$NDIR/nsd.log"
	fail "NSD does not get the change read alone"
}
[ "$(metric 'gslbd_xfr_total{type="ixfr"}')" -gt "$ixfr0" ] || fail "not an IXFR"
[ "$(metric 'gslbd_xfr_total{type="axfr"}')" -eq 0 ] || fail "an AXFR after a zone read alone"
q ixfr=2024010101 example.com
echo "$OUT" | grep -q 'IN[[:space:]]*SOA.* 2024010101 ' || qfail "the journal no longer reaches 2024010101"
echo "journal file after three changes: $(stat -c %s "$JFILE") bytes"
gslbd_stop

step "a journal of another serial, or corrupt, is discarded; gslbd starts"
sed -i 's/2024010104/2024010105/' "$WORK/example.com.zone"
start
log_wait "journal: zone example.com: .* was written at serial 2024010104, the zone is at 2024010105: discarded" 5
q ixfr=2024010104 example.com
[ "$(echo "$OUT" | grep -c 'IN[[:space:]]*SOA')" -eq 2 ] || qfail "IXFR from a discarded journal is not the whole zone"
gslbd_stop
head -c 40 "$JFILE" >"$JFILE.cut" && mv "$JFILE.cut" "$JFILE"
start
log_wait "journal: zone example.com: $JFILE: checksum mismatch \(truncated or corrupt\): discarded" 5
[ "$(serial "$G_UDP" example.com)" = 2024010105 ] || fail "gslbd does not serve the zone"
gslbd_stop

kill -TERM "$NSD_PID"
wait_exit "$NSD_PID" 10 || fail "nsd still running after SIGTERM"
bg_forget "$NSD_PID"
echo PASS
