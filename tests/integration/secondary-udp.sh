#!/bin/sh
# A secondary's SOA query to its primary goes over UDP first (RFC 1034
# 4.3.5), TSIG-signed when the primary has a key, and over TCP only when
# the UDP answer is truncated (TC), none comes, or it is not a good one
# (REFUSED: Knot refuses queries to a catalog zone over UDP). The primary is a stand-in
# (soaprimary.py) that verifies gslbd's TSIG and signs its answers, over
# UDP as told: answer, truncate or drop. gslbd holds the zone at the
# primary's serial (its stored file), so each refresh ends "current".
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"

SECRET=$(head -c 32 /dev/urandom | base64)
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"
mkdir -p "$WORK/storage"
printf '$ORIGIN sec.test.\n$TTL 300\n@ SOA ns hostmaster 7 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n' \
	>"$WORK/storage/sec.test.zone"

# primary MODE: the stand-in primary with UDP mode MODE, on a new port.
primary() {
	rm -f "$WORK/primary.port"
	: >"$WORK/primary.log"
	python3 "$top_srcdir/tests/integration/soaprimary.py" "$WORK/primary.port" \
		"$WORK/primary.log" sec.test 7 "$1" xfr-key "$SECRET" 2>"$WORK/primary.err" &
	PRIMARY_PID=$!
	BG_PIDS="$BG_PIDS $PRIMARY_PID"
	wait_until "[ -s '$WORK/primary.port' ]" 5 || fail "soaprimary.py did not start: $(cat "$WORK/primary.err")"
	PPORT=$(cat "$WORK/primary.port")
}

# run MODE: the stand-in in MODE, gslbd started against it; waits until
# gslbd finds its copy current.
run() {
	primary "$1"
	{
		secondary_conf_head storage
		cat <<CONF
log:
  level: debug
api:
  listen: ["127.0.0.1:0"]
keys:
  - {name: xfr-key, algorithm: hmac-sha256, secret: "$SECRET"}
zones:
  - name: sec.test
    primaries: [{address: "127.0.0.1:$PPORT", key: xfr-key}]
CONF
	} >"$WORK/gslbd.conf"
	sed -i 's/^  state_file: ""$/  state_file: state.json/' "$WORK/gslbd.conf"
	gslbd_start "$WORK/gslbd.conf"
	log_wait "xfr: zone sec.test: serial 7 is current at 127.0.0.1" 15
	cat "$WORK/primary.log"
}

# finish: stop gslbd and the stand-in.
finish() {
	gslbd_stop
	kill "$PRIMARY_PID"
	wait_exit "$PRIMARY_PID" 5 || fail "soaprimary.py still running"
	bg_forget "$PRIMARY_PID"
}

step "the primary answers over UDP: one signed SOA query, no TCP"
run answer
grep -q '^udp SOA answered$' "$WORK/primary.log" || fail "no SOA query over UDP"
! grep -q '^tcp ' "$WORK/primary.log" || fail "a TCP query although UDP was answered"
! grep -Eq 'unsigned|badsig' "$WORK/primary.log" || fail "a query whose TSIG did not verify"
finish

step "a truncated answer: the SOA query again over TCP"
run tc
grep -q '^udp SOA truncated$' "$WORK/primary.log" || fail "no SOA query over UDP"
grep -q '^tcp SOA answered$' "$WORK/primary.log" || fail "no SOA query over TCP after TC"
! grep -Eq 'unsigned|badsig' "$WORK/primary.log" || fail "a query whose TSIG did not verify"
grep -q 'no SOA answer over UDP from 127.0.0.1' "$G_LOG" || fail "the fallback is not logged"
finish

step "REFUSED over UDP: the SOA query again over TCP"
run refuse
grep -q '^udp SOA refused$' "$WORK/primary.log" || fail "no SOA query over UDP"
grep -q '^tcp SOA answered$' "$WORK/primary.log" || fail "no SOA query over TCP after REFUSED"
finish

step "no answer over UDP: TCP after the timeout"
run drop
grep -q '^udp SOA dropped$' "$WORK/primary.log" || fail "no SOA query over UDP"
grep -q '^tcp SOA answered$' "$WORK/primary.log" || fail "no SOA query over TCP after the timeout"
finish
echo PASS
