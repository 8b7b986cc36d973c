#!/bin/sh
# dnstap: gslbd writes every query and response, with the load-balancing
# decision, as Frame Streams to fstrm_capture on a unix socket and to a file;
# dnstap-read decodes both and finds every query sent; the decision
# (Message.policy and Dnstap.extra, decoded by hand in dnstap_fields.py and by
# gslbctl decisions) names the datacenter answered for London, New York and
# Singapore clients (ECS), before and after a drain, and where they are
# (country=, continent=: the compiled geo maps answer, and the writer looks
# the client up). A collector that stops
# reading or is killed never holds DNS up: the ring drops and counts, and
# logging resumes when it is back. A reload changes filters and the sink, a
# SIGHUP rotates the file, a reload with a bad sink keeps the running one,
# and --check-config names an unwritable file or a missing socket folder.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools
# The consumers are the test: their absence is a failure (.ci/install-deps).
command -v fstrm_capture >/dev/null 2>&1 || fail "fstrm_capture not found (Debian package fstrm-bin)"
command -v dnstap-read >/dev/null 2>&1 || fail "dnstap-read not found (Debian package bind9-dnsutils)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found"
GSLBCTL=$top_builddir/ctl/gslbctl
FIELDS="python3 $top_srcdir/tests/integration/dnstap_fields.py"
TOKEN=t0ken

CONF=$WORK/gslbd.conf
SOCK=$WORK/tap.sock
render_geo_config "$CONF"
BASE=$WORK/base.conf
# The stalled-collector step sends thousands of queries from one address.
{
	cat "$CONF"
	printf 'rrl:\n  enabled: false\n'
} >"$BASE"

# with_dnstap LINES...: the config with a dnstap section of LINES.
with_dnstap() {
	{
		cat "$BASE"
		echo "dnstap:"
		for l in "$@"; do echo "  $l"; done
	} >"$CONF"
}

# check_config_fails PATTERN: --check-config exits 1 with PATTERN.
check_config_fails() {
	local out rc
	out=$("$GSLBD" -c "$CONF" --check-config 2>&1)
	rc=$?
	[ "$rc" = 1 ] || fail "--check-config: exit $rc, expected 1 ($out)"
	echo "$out" | grep -Eq -- "$1" || fail "--check-config: expected '$1', got: $out"
}

step "--check-config: unwritable file, missing socket folder, two sinks, bad address"
with_dnstap "file: $WORK/missing/tap.dnstap"
check_config_fails "gslbd\.conf:[0-9]+:[0-9]+: dnstap\.file: cannot make file '$WORK/missing/tap\.dnstap': folder $WORK/missing: No such file or directory"
with_dnstap "socket: $WORK/missing/tap.sock"
check_config_fails "gslbd\.conf:[0-9]+:[0-9]+: dnstap\.socket: the folder of socket '$WORK/missing/tap\.sock' does not exist"
with_dnstap "socket: $SOCK" "file: $WORK/tap.dnstap"
check_config_fails "dnstap takes one of socket, tcp and file"
with_dnstap "tcp: 127.0.0.1"
check_config_fails "dnstap\.tcp: '127\.0\.0\.1' is not ADDR:PORT"
with_dnstap "socket: $SOCK" "rcodes: [NOERROR, BOGUS]"
check_config_fails "dnstap\.rcodes\[1\]: 'BOGUS' is not a response code"
with_dnstap "socket: $SOCK" "zones: [nowhere.example]"
check_config_fails "dnstap\.zones\[0\]: 'nowhere\.example' is not a served zone"
with_dnstap "socket: $SOCK" "ring_size: 100"
check_config_fails "dnstap\.ring_size: 100 is not a power of two"
with_dnstap "socket: $SOCK" "identity: tap-test" "ring_size: 16"
"$GSLBD" -c "$CONF" --check-config >/dev/null 2>&1 || fail "--check-config refuses a good dnstap section"

# capture_start OUT: fstrm_capture on $SOCK writing OUT; sets CAP_PID.
capture_start() {
	rm -f "$SOCK"
	fstrm_capture -t protobuf:dnstap.Dnstap -u "$SOCK" -w "$1" >>"$WORK/capture.log" 2>&1 &
	CAP_PID=$!
	BG_PIDS="$BG_PIDS $CAP_PID"
	wait_until '[ -S "$SOCK" ]' 5 || fail "fstrm_capture did not make $SOCK"
}

# capture_stop: SIGTERM, wait (it closes its file with a STOP frame).
capture_stop() {
	kill -TERM "$CAP_PID" 2>/dev/null
	kill -CONT "$CAP_PID" 2>/dev/null
	wait_exit "$CAP_PID" 10 || fail "fstrm_capture still running after SIGTERM"
}

connected_is() {
	[ "$(metric gslbd_dnstap_connected)" = "$1" ]
}

# ask NAME ECS [DIG-ARGS]: query NAME A with ECS (- none), assert an
# answer, and note its ID in SENT ("ID NAME") for the record checks.
SENT=$WORK/sent.txt
: >"$SENT"
ask() {
	local name=$1 ecs=$2 id
	shift 2
	if [ "$ecs" = - ]; then
		q "$@" "$name" A
	else
		q "$@" +subnet="$ecs" "$name" A
	fi
	assert_rcode NOERROR
	id=$(echo "$OUT" | sed -n 's/.*, id: \([0-9]*\)$/\1/p' | head -n 1)
	[ -n "$id" ] || qfail "no message ID in dig's output"
	echo "$id $name" >>"$SENT"
	LAST_ID=$id
}

# ids_in FILE: "TYPE ID" of every message dnstap-read -y decodes in FILE.
ids_in() {
	dnstap-read -y "$1" | awk '
		/^  type: AUTH_/ { t = ($2 == "AUTH_QUERY") ? "AQ" : "AR" }
		/^    id: / && t != "" { print t, $2; t = "" }'
}

# assert_all_sent FILE FROM TO: every query of lines FROM..TO of SENT is in
# FILE (dnstap-read) as an AUTH_QUERY and an AUTH_RESPONSE.
assert_all_sent() {
	local file=$1 from=$2 to=$3 ids id name
	ids=$(ids_in "$file") || fail "dnstap-read -y cannot decode $file"
	while read -r id name; do
		echo "$ids" | grep -qx "AQ $id" || fail "$file: no AUTH_QUERY for $name id $id"
		echo "$ids" | grep -qx "AR $id" || fail "$file: no AUTH_RESPONSE for $name id $id"
	done < <(sed -n "${from},${to}p" "$SENT")
}

# decision FILE ID: the hand-decoded policy and extra of response ID.
decision() {
	$FIELDS "$1" | awk -v id="$2" '$1 == "AR" && $2 == id'
}

# assert_decision FILE ID DC REASON ECS SCOPE: response ID carries policy
# gslb/web/LOCAL_DATA/CLIENT_IP with value DC, and that decision in extra;
# gslbctl decisions agrees.
assert_decision() {
	local file=$1 id=$2 dc=$3 reason=$4 ecs=$5 scope=$6 got j
	got=$(decision "$file" "$id")
	[ -n "$got" ] || fail "$file: no AUTH_RESPONSE with id $id ($($FIELDS "$file" | head -n 4))"
	echo "$got" | grep -q "^AR $id INET [A-Z]* gslb web LOCAL_DATA CLIENT_IP $dc | " ||
		fail "response $id: policy should be gslb/web/LOCAL_DATA/CLIENT_IP/$dc, got: $got"
	echo "$got" | grep -Eq "\| gslb=1 name=www\.gslb\.example\.com\. pool=web reason=$reason dc=$dc( [a-z]+=[^ ]+)* ecs=$ecs scope=$scope gen=[0-9]+$" ||
		fail "response $id: extra should say dc=$dc reason=$reason ecs=$ecs scope=$scope, got: $got"
	j=$("$GSLBCTL" --json decisions --file "$file" -n 100000 | jq -c "select(.id == $id)")
	[ "$(echo "$j" | jq -r '.datacenters + " " + .reason + " " + .ecs + " " + .pool')" = "$dc $reason $ecs web" ] ||
		fail "gslbctl decisions on response $id: expected $dc $reason $ecs web, got: $j"
}

# assert_located FILE ID COUNTRY CONTINENT: the decision text of response
# ID places the client.
assert_located() {
	local got
	got=$(decision "$1" "$2")
	echo "$got" | grep -Eq "\| gslb=1 .* dc=[^ ]+( [a-z]+=[^ ]+)* country=$3 continent=$4 " ||
		fail "response $2: extra should say country=$3 continent=$4, got: $got"
}

step "fstrm_capture on a unix socket: gslbd connects and writes"
capture_start "$WORK/cap1.fstrm"
gslbd_start "$CONF"
api_port
# The decisions below come from the compiled maps, which do not locate.
wait_maps_ready
wait_until 'connected_is 1' 5 || fail "gslbd_dnstap_connected not 1 with a collector listening"
log_wait "dnstap: writing to socket $SOCK" 5

step "London, New York and Singapore clients (ECS), over UDP and TCP, and a static name"
ask www.gslb.example.com 81.2.69.0/24
assert_addrs "$EU4"
LON=$LAST_ID
ask www.gslb.example.com 192.0.2.0/24
assert_addrs "$US4"
NYC=$LAST_ID
ask www.gslb.example.com 203.0.113.0/24 +tcp
assert_addrs "$AP4"
SIN=$LAST_ID
ask static.gslb.example.com -
STATIC=$LAST_ID

step "a drain moves London; the record says so"
api_post /v1/datacenters/eu-west/drain "$TOKEN"
assert_api_code 200
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs | tr "\n" " ")" = "192.0.2.10 192.0.2.11 " ]' 5 ||
	qfail "London not moved to us-east after draining eu-west"
ask www.gslb.example.com 81.2.69.0/24
assert_addrs "$US4"
LON_DRAINED=$LAST_ID
api_post /v1/datacenters/eu-west/undrain "$TOKEN"
assert_api_code 200

step "every datacenter of a pool drained: its fallback answers, the record says so"
for dc in spare-a spare-b; do
	api_post /v1/datacenters/$dc/drain "$TOKEN"
	assert_api_code 200
done
wait_until 'q fb.gslb.example.com A; [ "$(answer_addrs | tr "\n" " ")" = "$EU4 " ]' 5 ||
	qfail "fb.gslb.example.com not answered by its fallback (eu-west) with spare-a and spare-b drained"
ask fb.gslb.example.com -
FB=$LAST_ID
for dc in spare-a spare-b; do
	api_post /v1/datacenters/$dc/undrain "$TOKEN"
	assert_api_code 200
done
N1=$(wc -l <"$SENT")
wait_until '[ "$(metric gslbd_dnstap_messages_written_total)" -ge $((2 * N1)) ]' 5 ||
	fail "expected at least $((2 * N1)) messages written, /metrics says $(metric gslbd_dnstap_messages_written_total)"
api_get /v1/status
assert_api_jq '.dnstap.enabled' true
assert_api_jq '.dnstap.sink' socket
assert_api_jq '.dnstap.connected' true

step "the collector stops reading: DNS is answered, the ring drops and counts"
kill -STOP "$CAP_PID"
DROPPED0=$(metric gslbd_dnstap_dropped_ring_full_total)
# Enough to fill the writer's socket buffer and the 16-slot rings.
python3 - "$G_UDP" <<'EOF' || fail "queries not answered while the collector is stopped"
import socket, struct, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
q = lambda i: struct.pack(">HHHHHH", i, 0, 1, 0, 0, 0) + b"\x06static\x04gslb\x07example\x03com\x00\x00\x01\x00\x01"
for i in range(3000):
    s.sendto(q(i), ("127.0.0.1", port))
    d, _ = s.recvfrom(4096)
    assert d[:2] == struct.pack(">H", i), "answer to another query"
EOF
wait_until '[ "$(metric gslbd_dnstap_dropped_ring_full_total)" -gt "$DROPPED0" ]' 5 ||
	fail "no ring-full drops counted while the collector does not read"
kill -CONT "$CAP_PID"

step "the collector is killed: DNS is answered, errors counted; it comes back, logging resumes"
capture_stop
ERR0=$(metric gslbd_dnstap_write_errors_total)
for i in 1 2 3 4 5; do
	ask static.gslb.example.com -
done
wait_until 'connected_is 0' 10 || fail "gslbd_dnstap_connected still 1 with no collector"
wait_until '[ "$(metric gslbd_dnstap_write_errors_total)" -gt "$ERR0" ]' 10 ||
	fail "no write error counted with the collector gone"
gslbd_alive || fail "gslbd died with the collector"
assert_all_sent "$WORK/cap1.fstrm" 1 "$N1"
assert_decision "$WORK/cap1.fstrm" "$LON" eu-west nearest 81.2.69.0/24 24
assert_decision "$WORK/cap1.fstrm" "$NYC" us-east nearest 192.0.2.0/24 24
assert_decision "$WORK/cap1.fstrm" "$SIN" ap-southeast nearest 203.0.113.0/24 24
assert_decision "$WORK/cap1.fstrm" "$LON_DRAINED" us-east nearest 81.2.69.0/24 24
assert_located "$WORK/cap1.fstrm" "$LON" GB EU
assert_located "$WORK/cap1.fstrm" "$NYC" US NA
assert_located "$WORK/cap1.fstrm" "$SIN" SG AS
assert_located "$WORK/cap1.fstrm" "$LON_DRAINED" GB EU
got=$(decision "$WORK/cap1.fstrm" "$FB")
echo "$got" | grep -Eq "\| gslb=1 name=fb\.gslb\.example\.com\. pool=failover reason=failover dc=eu-west fallback=1 asked=spare-fallback( [a-z]+=[^ ]+)* gen=[0-9]+$" ||
	fail "response $FB (fallback pool): extra should say fallback=1 asked=spare-fallback, got: $got"
decision "$WORK/cap1.fstrm" "$STATIC" | grep -Eq "^AR $STATIC INET UDP - - - - - \| gslb=0 name=static\.gslb\.example\.com\. gen=[0-9]+$" ||
	fail "static answer: no policy and gslb=0 expected, got: $(decision "$WORK/cap1.fstrm" "$STATIC")"
GEN_LON=$(decision "$WORK/cap1.fstrm" "$LON" | sed 's/.* gen=//')
GEN_DRAINED=$(decision "$WORK/cap1.fstrm" "$LON_DRAINED" | sed 's/.* gen=//')
[ "$GEN_DRAINED" -gt "$GEN_LON" ] || fail "the drain's snapshot generation ($GEN_DRAINED) is not after $GEN_LON"
"$GSLBCTL" decisions --file "$WORK/cap1.fstrm" --name www.gslb.example.com --client 81.2.69.0/24 >"$WORK/dec.txt" ||
	fail "gslbctl decisions failed"
# The London answers (and the polls of the drain step), no other client.
[ "$(grep -c ' www\.gslb\.example\.com\. .* 81\.2\.69\.0/24 ' "$WORK/dec.txt")" -ge 2 ] &&
	[ "$(grep -c ' www\.gslb\.example\.com\. ' "$WORK/dec.txt")" = "$(grep -c ' 81\.2\.69\.0/24 ' "$WORK/dec.txt")" ] ||
	fail "gslbctl decisions --client 81.2.69.0/24: expected the London answers only, got: $(cat "$WORK/dec.txt")"
grep -q ' eu-west ' "$WORK/dec.txt" && grep -q ' us-east ' "$WORK/dec.txt" ||
	fail "gslbctl decisions: London before and after the drain expected: $(cat "$WORK/dec.txt")"

capture_start "$WORK/cap2.fstrm"
wait_until 'connected_is 1' 10 || fail "gslbd did not reconnect to the collector"
N2=$(($(wc -l <"$SENT") + 1))
ask www.gslb.example.com 203.0.113.0/24
ask www.gslb.example.com 81.2.69.0/24 +tcp
N3=$(wc -l <"$SENT")
wait_until '$FIELDS "$WORK/cap2.fstrm" 2>/dev/null | grep -q "^AR $LAST_ID "' 0.1 || true
capture_stop
assert_all_sent "$WORK/cap2.fstrm" "$N2" "$N3"
assert_decision "$WORK/cap2.fstrm" "$LAST_ID" eu-west nearest 81.2.69.0/24 24

step "reload: to a file, only load-balanced names; SIGHUP rotates the file"
with_dnstap "file: $WORK/tap.dnstap" "identity: tap-test" "ring_size: 16" "only_load_balanced: true"
hup() {
	local before
	before=$(grep -c -- "$1" "$G_LOG")
	kill -HUP "$G_PID"
	wait_until '[ "$(grep -c -- "$1" "$G_LOG")" -gt "$before" ]' 10 || fail "no new '$1' after SIGHUP"
}
hup 'reload: ok'
log_wait "dnstap: writing to file $WORK/tap.dnstap" 5
F1=$(($(wc -l <"$SENT") + 1))
ask www.gslb.example.com 192.0.2.0/24
NYC2=$LAST_ID
FILTERED0=$(metric gslbd_dnstap_dropped_filtered_total)
q static.gslb.example.com A
STATIC_ID=$(echo "$OUT" | sed -n 's/.*, id: \([0-9]*\)$/\1/p' | head -n 1)
wait_until '[ "$(metric gslbd_dnstap_dropped_filtered_total)" -gt "$FILTERED0" ]' 5 ||
	fail "the static answer was not counted as filtered"
mv "$WORK/tap.dnstap" "$WORK/tap.dnstap.1"
hup 'reload: ok'
wait_until '[ -s "$WORK/tap.dnstap" ]' 5 || fail "SIGHUP did not make $WORK/tap.dnstap again"
ask www.gslb.example.com 203.0.113.0/24
SIN2=$LAST_ID

step "a reload with a bad sink fails and keeps the running one"
with_dnstap "file: $WORK/missing/tap.dnstap"
kill -HUP "$G_PID"
log_wait "reload failed: [^ ]*gslbd\.conf:[0-9]+:[0-9]+: dnstap\.file: cannot make file .*; keeping generation" 10
ask www.gslb.example.com 81.2.69.0/24
LON3=$LAST_ID
gslbd_stop

step "dnstap-read decodes the files; each holds what was sent while it was the sink"
assert_all_sent "$WORK/tap.dnstap.1" "$F1" "$F1"
ids_in "$WORK/tap.dnstap.1" | grep -q " $STATIC_ID\$" && fail "only_load_balanced: the static answer was written"
assert_decision "$WORK/tap.dnstap.1" "$NYC2" us-east nearest 192.0.2.0/24 24
ids_in "$WORK/tap.dnstap" | grep -q " $NYC2\$" && fail "$NYC2 in the file after the rotation"
assert_decision "$WORK/tap.dnstap" "$SIN2" ap-southeast nearest 203.0.113.0/24 24
assert_decision "$WORK/tap.dnstap" "$LON3" eu-west nearest 81.2.69.0/24 24
assert_located "$WORK/tap.dnstap" "$LON3" GB EU
dnstap-read -y "$WORK/tap.dnstap" | grep -q '^identity: tap-test$' || fail "identity tap-test not in the file"
echo "PASS"
