#!/bin/sh
# Clients of the HTTP API that do not play along: 16 connections pipeline
# GET /metrics as fast as gslbd takes them and never read a reply; gslbd's
# memory stays bounded (it reads a connection's next request only once the
# last reply is out) and it cuts them once a reply is not taken within
# api.body_timeout. Clients that ask for POST /v1/reload (a big zone makes
# it take a moment) and go before the reply, by a reset or a close, after
# an Expect: 100-continue too: gslbd drops the replies, does not crash
# (run it under valgrind: make check-valgrind TESTS=...), and a client
# that only half-closes still gets its reply. On a TLS listener, a client
# that connects and never completes the handshake is cut at
# api.header_timeout, not at that and api.body_timeout more.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"
need_api_tools

TOKEN=clients-t0ken-0123456789
BODY_S=2
CONNS=16
# Memory gslbd may grow by while the pipelining clients hold on (VmHWM;
# under 1 MB is usual, valgrind adds its own): were replies queued for
# requests read ahead, it would be gigabytes.
if [ -n "$TEST_WRAPPER" ]; then
	HWM_LIMIT_KB=$((64 * 1024))
	RECORDS=${APICLIENTS_RECORDS:-20000}
else
	HWM_LIMIT_KB=$((16 * 1024))
	RECORDS=${APICLIENTS_RECORDS:-200000}
fi
# AddressSanitizer keeps freed memory in quarantine (256 MB by default),
# which VmHWM would count as growth: a small quarantine for this gslbd.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

clients() {
	TF=$TF python3 "$top_srcdir/tests/integration/apiclients.py" "$@"
}
api_connections() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/metrics" |
		awk '$1 == "gslbd_api_connections" { print $2 }'
}
in_progress() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/v1/status" |
		jq -e '.reload.in_progress' >/dev/null
}

CONF=$WORK/gslbd.conf
render_config "$CONF"
sed -i "s|^api:|api:\n  admin_token: \"$TOKEN\"\n  body_timeout: $((BODY_S * TF))s\n  max_connections_per_client: $((CONNS + 8))|" "$CONF"
gslbd_start "$CONF"
api_port

step "$CONNS connections pipeline GET /metrics and never read: memory stays bounded"
api_get /metrics
assert_api_code 200
echo "a /metrics reply is ${#API_BODY} bytes"
rm -f "$WORK/go"
clients pipeline "$G_HTTP" "$G_PID" "$CONNS" $((8 * 1024 * 1024)) "$WORK/go" >"$WORK/pipeline.out" 2>&1 &
CLIENTS=$!
BG_PIDS="$BG_PIDS $CLIENTS"
wait_until "grep -q hwm_growth_kb '$WORK/pipeline.out'" 60 ||
	fail "the pipelining clients did not finish sending: $(cat "$WORK/pipeline.out")"
cat "$WORK/pipeline.out"
growth=$(sed -n 's/^hwm_growth_kb=//p' "$WORK/pipeline.out")
[ "$growth" -le "$HWM_LIMIT_KB" ] ||
	fail "gslbd grew by $((growth >> 10)) MB for clients that never read (limit $((HWM_LIMIT_KB >> 10)) MB)"
api_get /healthz
assert_api_code 200
# Their replies are not taken: each is cut once one waits api.body_timeout
# (after the replies its socket took; with time to spare on a busy machine).
wait_until '[ "$(api_connections)" = 1 ]' $((BODY_S + 30)) ||
	fail "the clients that never read are still connected: $(api_connections) connections"
touch "$WORK/go"
wait_exit "$CLIENTS" 10 || fail "the pipelining clients did not exit"
[ "$WAIT_RC" = 0 ] || fail "the pipelining clients failed: $(cat "$WORK/pipeline.out")"
log_wait "reply not taken in $((BODY_S * 1000 * TF)) ms, closing" 1

step "a zone of $RECORDS records, so that a reload takes a moment"
python3 - "$WORK/big.test.zone" "$RECORDS" <<'PY' || fail "cannot write the big zone"
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 1209600 30\n"
            "@ NS ns1\nns1 A 127.0.0.1\n")
    for i in range(n):
        f.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
sed -i "s|^zones:|zones:\n  - name: big.test\n    file: big.test.zone|" "$CONF"

step "clients that ask for a reload and go before the reply"
asked() { grep -c 'reload: requested through the API' "$G_LOG"; }
reloads_ok() { grep -c 'reload: ok' "$G_LOG"; }
asked0=$(asked)
ok0=$(reloads_ok)
rm -f "$WORK/go"
clients reload-gone "$G_HTTP" "$TOKEN" "$WORK/go" >"$WORK/gone.out" 2>&1 &
CLIENTS=$!
BG_PIDS="$BG_PIDS $CLIENTS"
wait_until '[ "$(asked)" -ge $((asked0 + 3)) ]' 10 ||
	fail "gslbd did not log three reloads asked for: $(cat "$WORK/gone.out")"
in_progress || fail "the reload ended before its clients could go (make the zone bigger)"
touch "$WORK/go"
wait_exit "$CLIENTS" 10 || fail "the reload clients did not exit"
[ "$WAIT_RC" = 0 ] || fail "the reload clients failed: $(cat "$WORK/gone.out")"
cat "$WORK/gone.out"
in_progress && echo "the clients went while the reload was still running"
# one run for the first, one more for the two asked during it
wait_until '[ "$(reloads_ok)" -ge $((ok0 + 2)) ] && ! in_progress' $((60 * TF)) ||
	fail "expected two more 'reload: ok', got $(($(reloads_ok) - ok0))"
gslbd_alive || fail "gslbd died after the reload whose clients went"
wait_until '[ "$(api_connections)" = 1 ]' 5 ||
	fail "connections of clients that went are still counted: $(api_connections)"
api_get /healthz
assert_api_code 200
q h$((RECORDS - 1)).big.test A
assert_rcode NOERROR

step "a client that half-closes after its POST /v1/reload still gets the reply"
got=$(clients reload-half "$G_HTTP" "$TOKEN")
[ "$got" = "status=HTTP/1.1 200 OK" ] || fail "half-closed client: $got"

step "stop"
gslbd_stop

step "a TLS listener cuts a handshake that does not complete at api.header_timeout"
if ! command -v openssl >/dev/null 2>&1; then
	echo "openssl not found (Debian package openssl): TLS step skipped"
	echo "PASS"
	exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=api \
	-keyout "$WORK/api.key" -out "$WORK/api.crt" >"$WORK/openssl.out" 2>&1 ||
	fail "openssl: $(cat "$WORK/openssl.out")"
HEADER_S=1
LONG_BODY_S=30
render_config "$CONF"
awk -v h="$((HEADER_S * TF))s" -v b="$((LONG_BODY_S * TF))s" '
	/^api:$/ {
		print
		print "  header_timeout: " h
		print "  body_timeout: " b
		next
	}
	$1 == "listen:" && $2 ~ /^\["127\.0\.0\.1:0"\]$/ {
		print "  listen:"
		print "    - address: 127.0.0.1:0"
		print "      tls:"
		print "        certificate: api.crt"
		print "        key: api.key"
		print "    - address: 127.0.0.1:0"
		n++
		next
	}
	{ print }
	END { if (n != 1) exit 1 }' "$CONF" >"$CONF.tls" || fail "cannot render $CONF.tls"
gslbd_start "$CONF.tls" gslbd-tls
api_port
G_HTTPS=$(awk '$1 == "https" && $2 == "tcp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
[ -n "$G_HTTPS" ] || fail "no 'https tcp 127.0.0.1' line in the port file: $(cat "$G_PORTFILE")"
limit_ms=$(((HEADER_S + 3) * 1000 * TF))
# nothing at all, then a TLS record header and no more
for hello in "" 160301; do
	got=$(clients silent "$G_HTTPS" $hello | sed -n 's/^closed_after_ms=//p')
	echo "TLS client sending '${hello:-nothing}': closed after $got ms"
	[ -n "$got" ] && [ "$got" -lt "$limit_ms" ] ||
		fail "a TLS handshake that never completes held its connection ${got:-?} ms (header_timeout $((HEADER_S * TF)) s)"
done
log_wait "TLS handshake not complete in $((HEADER_S * 1000 * TF)) ms, closing" 1
wait_until '[ "$(api_connections)" = 1 ]' 5 ||
	fail "cut TLS connections are still counted: $(api_connections)"
gslbd_stop
echo "PASS"
