#!/bin/sh
# The HTTP API over TLS with listeners by role: gslbd with a TLS listener
# serving the probe role only and a plain admin listener (admin, status,
# metrics) on 127.0.0.1, a throwaway CA made here with openssl. Three
# gslb-probe processes report over TLS (one trusting the CA file, one a
# pinned key, one both) and their health shows through the admin listener;
# a probe with the wrong CA or the wrong pin never talks to gslbd. Each
# listener answers 404 for the endpoints of roles it does not serve. Plain
# HTTP and TLS 1.1 on the TLS port fail. A new certificate and SIGHUP: new
# connections get it; a broken certificate or a key of another certificate
# and SIGHUP: refused, the one in use kept. client_ca added by a reload:
# clients without a certificate of that CA are refused. --check-config
# loads the certificates.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools
CTL=$top_builddir/ctl/gslbctl
[ -x "$CTL" ] || fail "$CTL not built"

TLS=$WORK/tls
mkdir -p "$TLS"

# ossl ARGS...: openssl, quiet unless it fails.
ossl() {
	openssl "$@" >"$TLS/openssl.out" 2>&1 || fail "openssl $*: $(cat "$TLS/openssl.out")"
}

# new_ca NAME: a self-signed CA, NAME.crt and NAME.key in $TLS.
new_ca() {
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$TLS/$1.key" -out "$TLS/$1.crt"
}

# new_cert CA NAME KEY-OR-EMPTY EXT: a certificate NAME.crt signed by CA, for
# the key NAME.key (new unless KEY names one to reuse), extensions EXT.
new_cert() {
	local ca=$1 name=$2 key=$3 ext=$4
	if [ -n "$key" ]; then
		cp "$TLS/$key.key" "$TLS/$name.key"
		ossl req -new -key "$TLS/$name.key" -subj "/CN=$name" -out "$TLS/$name.csr"
	else
		ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
			-keyout "$TLS/$name.key" -out "$TLS/$name.csr"
	fi
	printf '%s\n' "$ext" >"$TLS/$name.ext"
	ossl x509 -req -in "$TLS/$name.csr" -CA "$TLS/$ca.crt" -CAkey "$TLS/$ca.key" \
		-CAcreateserial -days 2 -extfile "$TLS/$name.ext" -out "$TLS/$name.crt"
}

# fingerprint FILE: SHA-256 fingerprint of a PEM certificate.
fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'
}

# served_fingerprint: that of the certificate the TLS listener shows a new
# connection (empty when the handshake fails).
served_fingerprint() {
	openssl s_client -connect "127.0.0.1:$G_HTTPS" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'
}

# pin FILE: sha256//BASE64 of a certificate's public key (CURLOPT_PINNEDPUBLICKEY).
pin() {
	echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)"
}

SERVER_EXT='subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth'
CLIENT_EXT='extendedKeyUsage=clientAuth'

step "a CA, the API's certificate, a renewed one, a client's, and another CA"
new_ca ca
new_ca other-ca
new_cert ca server "" "$SERVER_EXT"
new_cert ca renewed server "$SERVER_EXT"
new_cert ca stranger "" "$SERVER_EXT"
new_cert ca client "" "$CLIENT_EXT"
new_cert other-ca intruder "" "$CLIENT_EXT"
cp "$TLS/server.crt" "$WORK/api.crt" && cp "$TLS/server.key" "$WORK/api.key" ||
	fail "cannot copy the certificate"
[ "$(fingerprint "$TLS/server.crt")" != "$(fingerprint "$TLS/renewed.crt")" ] ||
	fail "the renewed certificate is the same"

step "gslbd: a TLS listener for probes, a plain one for admin, status and metrics"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
CONF=$WORK/gslbd.conf
render_probe_config "$CONF.tmp"
# api.listen of the template is one address: the two listeners instead.
awk '
	$1 == "listen:" && $2 ~ /^"127\.0\.0\.1:/ {
		print "  listen:"
		print "    - address: 127.0.0.1:0"
		print "      roles: [probe]"
		print "      tls:"
		print "        certificate: api.crt"
		print "        key: api.key"
		print "    - address: 127.0.0.1:0"
		print "      roles: [admin, status, metrics]"
		n++
		next
	}
	{ print }
	END { if (n != 1) exit 1 }' "$CONF.tmp" >"$CONF" || fail "cannot render $CONF"
gslbd_start "$CONF"
api_port
G_HTTPS=$(awk '$1 == "https" && $2 == "tcp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
[ -n "$G_HTTPS" ] || fail "no 'https tcp 127.0.0.1' line in the port file: $(cat "$G_PORTFILE")"
[ "$G_HTTPS" != "$G_HTTP" ] || fail "one port for both listeners"
grep -q "ready:.* https=127\.0\.0\.1:$G_HTTPS" "$G_LOG" || fail "the ready line lacks https="
grep -q "api 127\.0\.0\.1:$G_HTTPS: https roles=probe client_certificates=no" "$G_LOG" ||
	fail "the TLS listener's line is missing"
grep -q "api 127\.0\.0\.1:$G_HTTP: http roles=admin,status,metrics" "$G_LOG" ||
	fail "the admin listener's line is missing"

# tls_req PATH [CURL-ARGS...]: a request to the TLS listener trusting the CA.
# Sets API_CODE and API_BODY.
tls_req() {
	local path=$1 body=$WORK/tls-body
	shift
	API_CMD="curl https://127.0.0.1:$G_HTTPS$path $*"
	API_CODE=$(curl -s -o "$body" -w '%{http_code}' --max-time $((5 * TF)) --cacert "$TLS/ca.crt" \
		"$@" "https://127.0.0.1:$G_HTTPS$path")
	API_BODY=$(cat "$body" 2>/dev/null)
	rm -f "$body"
}

# write_probe ID FILE TLS-LINES...: a probe.yaml reporting to the TLS listener.
write_probe() {
	local id=$1 conf=$2 line
	shift 2
	{
		echo "probe:"
		echo "  id: $id"
		echo "  secret_file: $id.key"
		echo "servers:"
		echo "  - https://127.0.0.1:$G_HTTPS"
		echo "report:"
		echo "  timeout: $((2 * TF))s"
		echo "  retries: 1"
		echo "log:"
		echo "  level: debug"
		echo "tls:"
		for line in "$@"; do
			echo "  $line"
		done
	} >"$conf"
}

# tls_probe_start ID TLS-LINES...: gslb-probe ID (under TEST_WRAPPER) with
# these tls settings; waits for its ready line (it has fetched its checks).
tls_probe_start() {
	local id=$1
	shift
	write_probe "$id" "$WORK/$id.yaml" "$@"
	probe_run "$id" "$WORK/$id.yaml"
}

# probe_once ID LOG TLS-LINES...: gslb-probe --once; its exit status in RC.
probe_once() {
	local id=$1 log=$2
	shift 2
	write_probe "$id" "$WORK/once-$id.yaml" "$@"
	$TEST_WRAPPER "$PROBE_BIN" -c "$WORK/once-$id.yaml" --once >"$log" 2>&1
	RC=$?
}

step "probes report over TLS (CA file, pinned key, both); health shows on the admin listener"
PIN=$(pin "$TLS/server.crt")
tls_probe_start probe-us "ca_file: $TLS/ca.crt"
tls_probe_start probe-eu "pin: \"$PIN\""
tls_probe_start probe-ap "ca_file: $TLS/ca.crt" "pin: \"$PIN\""
wait_until "all_dcs_up $G_HTTP" 10 || {
	api_get /v1/status
	api_fail "not every datacenter is up with three fresh probes over TLS"
}
for id in $PROBE_IDS; do
	if grep -q "report failed\|report refused\|cannot fetch" "$WORK/$id.log"; then
		fail "probe $id: $(grep "report failed\|report refused\|cannot fetch" "$WORK/$id.log" | head -n 1)"
	fi
	grep -q "plain HTTP beyond loopback" "$WORK/$id.log" && fail "probe $id warned about plain HTTP"
done

step "a probe with the wrong CA or the wrong pin refuses the server"
probe_once probe-us "$WORK/wrong-ca.log" "ca_file: $TLS/other-ca.crt"
[ "$RC" -eq 1 ] || fail "--once with the wrong CA exited $RC: $(cat "$WORK/wrong-ca.log")"
grep -q "cannot fetch the probe config: server=https://127.0.0.1:$G_HTTPS: .*certificate" \
	"$WORK/wrong-ca.log" || fail "no certificate error logged: $(cat "$WORK/wrong-ca.log")"
grep -q "ready: probe=" "$WORK/wrong-ca.log" && fail "the probe ran checks with the wrong CA"
probe_once probe-eu "$WORK/wrong-pin.log" "pin: \"$(pin "$TLS/stranger.crt")\""
[ "$RC" -eq 1 ] || fail "--once with the wrong pin exited $RC: $(cat "$WORK/wrong-pin.log")"
grep -q "cannot fetch the probe config: server=https://127.0.0.1:$G_HTTPS: .*pinned public key" \
	"$WORK/wrong-pin.log" || fail "no pin error logged: $(cat "$WORK/wrong-pin.log")"
# The right pin and the wrong CA together: both must hold.
probe_once probe-ap "$WORK/pin-wrong-ca.log" "ca_file: $TLS/other-ca.crt" "pin: \"$PIN\""
[ "$RC" -eq 1 ] || fail "--once with the right pin and the wrong CA exited $RC"
probe_once probe-ap "$WORK/right.log" "ca_file: $TLS/ca.crt"
[ "$RC" -eq 0 ] || fail "--once with the right CA exited $RC: $(cat "$WORK/right.log")"

step "the probe listener serves probe endpoints and /healthz only"
tls_req /healthz
assert_api_code 200
tls_req /v1/probe-config
assert_api_code 401 # served: the request is not signed
tls_req /v1/reports -X POST --data-binary '{}'
assert_api_code 401
for path in /v1/status / /metrics "/v1/explain?name=www.gslb.example.net&client=192.0.2.1"; do
	tls_req "$path"
	assert_api_code 404
done
for path in /v1/reload /v1/datacenters/eu-west/drain; do
	tls_req "$path" -X POST -H "Authorization: Bearer $PROBE_TOKEN"
	assert_api_code 404
done
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .admin' none

step "the admin listener serves admin, status and metrics, not the probe endpoints"
api_get /v1/probe-config
assert_api_code 404
api_request /v1/reports -X POST --data-binary '{}'
assert_api_code 404
api_get /healthz
assert_api_code 200
api_get /metrics
assert_api_code 200
api_post /v1/datacenters/eu-west/drain "$PROBE_TOKEN"
assert_api_code 200
api_post /v1/datacenters/eu-west/undrain "$PROBE_TOKEN"
assert_api_code 200

step "plain HTTP, an unknown CA and TLS 1.1 on the TLS port fail; gslbctl --cacert works"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTPS/healthz")
[ "$code" = 000 ] || fail "plain HTTP to the TLS port got HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * TF)) "https://127.0.0.1:$G_HTTPS/healthz")
[ "$code" = 000 ] || fail "https without the CA got HTTP $code"
tls_req /healthz --tls-max 1.1
[ "$API_CODE" = 000 ] || fail "TLS 1.1 got HTTP $API_CODE"
tls_req /healthz --tlsv1.2 --tls-max 1.2
assert_api_code 200
"$CTL" -s "https://127.0.0.1:$G_HTTPS" --cacert "$TLS/ca.crt" status >"$WORK/ctl.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q "HTTP 404" "$WORK/ctl.out" ||
	fail "gslbctl status on the probe listener: exit $rc: $(cat "$WORK/ctl.out")"
"$CTL" -s "https://127.0.0.1:$G_HTTPS" status >"$WORK/ctl.out" 2>&1
rc=$?
[ "$rc" -eq 3 ] || fail "gslbctl without --cacert: exit $rc, expected 3: $(cat "$WORK/ctl.out")"
"$CTL" -s "http://127.0.0.1:$G_HTTP" status >"$WORK/ctl.out" 2>&1 ||
	fail "gslbctl status on the admin listener: $(cat "$WORK/ctl.out")"

step "a renewed certificate and SIGHUP: new connections get it"
[ "$(served_fingerprint)" = "$(fingerprint "$TLS/server.crt")" ] ||
	fail "the listener does not show api.crt: '$(served_fingerprint)'"
cp "$TLS/renewed.crt" "$WORK/api.crt" && cp "$TLS/renewed.key" "$WORK/api.key" ||
	fail "cannot replace the certificate"
kill -HUP "$G_PID"
log_wait "api 127\.0\.0\.1:$G_HTTPS: TLS reloaded: subject=/CN=renewed" 5
[ "$(served_fingerprint)" = "$(fingerprint "$TLS/renewed.crt")" ] ||
	fail "after SIGHUP the listener shows '$(served_fingerprint)', not the renewed certificate"
probe_once probe-us "$WORK/renewed.log" "ca_file: $TLS/ca.crt" "pin: \"$PIN\""
[ "$RC" -eq 0 ] || fail "--once after the renewal exited $RC: $(cat "$WORK/renewed.log")"

step "a broken certificate, then a key of another certificate: refused, the renewed one kept"
echo "-----BEGIN CERTIFICATE-----
bm90IGEgY2VydGlmaWNhdGU=
-----END CERTIFICATE-----" >"$WORK/api.crt"
kill -HUP "$G_PID"
log_wait "api 127\.0\.0\.1:$G_HTTPS: TLS not reloaded, keeping the certificate in use \(subject=/CN=renewed.*\): TLS certificate .*api\.crt: " 5
[ "$(served_fingerprint)" = "$(fingerprint "$TLS/renewed.crt")" ] ||
	fail "after a broken certificate the listener shows '$(served_fingerprint)'"
cp "$TLS/stranger.crt" "$WORK/api.crt" || fail "cannot copy"
kill -HUP "$G_PID"
log_wait "TLS not reloaded.*: TLS key .*api\.key does not match the certificate" 5
[ "$(served_fingerprint)" = "$(fingerprint "$TLS/renewed.crt")" ] ||
	fail "after a mismatched key the listener shows '$(served_fingerprint)'"
tls_req /healthz
assert_api_code 200
gslbd_alive || fail "gslbd died"

step "client_ca and roles by a reload: only clients with a certificate of that CA get through"
cp "$TLS/renewed.crt" "$WORK/api.crt" || fail "cannot copy"
sed -e 's|^        key: api.key$|&\n        client_ca: tls/ca.crt|' \
	-e 's|^      roles: \[admin, status, metrics\]$|      roles: [admin, status, metrics, probe]|' \
	"$CONF" >"$CONF.new" && mv "$CONF.new" "$CONF" || fail "cannot edit $CONF"
grep -q "client_ca: tls/ca.crt" "$CONF" || fail "client_ca not added to $CONF"
grep -q "roles: \[admin, status, metrics, probe\]" "$CONF" || fail "roles not changed in $CONF"
reloads=$(grep -c "TLS reloaded" "$G_LOG")
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'TLS reloaded' '$G_LOG') -gt $reloads ]" 5 ||
	fail "no TLS reload after adding client_ca"
grep -q "reload failed" "$G_LOG" && fail "the reload failed: $(grep "reload failed" "$G_LOG")"
grep -q "api 127\.0\.0\.1:$G_HTTP: roles=probe,admin,status,metrics" "$G_LOG" ||
	fail "the admin listener did not take its new roles"
api_get /v1/probe-config
assert_api_code 401 # now served there: the request is not signed
tls_req /healthz
[ "$API_CODE" = 000 ] || fail "a client without a certificate got HTTP $API_CODE"
tls_req /healthz --cert "$TLS/intruder.crt" --key "$TLS/intruder.key"
[ "$API_CODE" = 000 ] || fail "a client with another CA's certificate got HTTP $API_CODE"
tls_req /healthz --cert "$TLS/client.crt" --key "$TLS/client.key"
assert_api_code 200
probe_once probe-us "$WORK/nocert.log" "ca_file: $TLS/ca.crt"
[ "$RC" -eq 1 ] || fail "--once without a client certificate exited $RC"
probe_once probe-us "$WORK/cert.log" "ca_file: $TLS/ca.crt" "certificate: $TLS/client.crt" \
	"key: $TLS/client.key"
[ "$RC" -eq 0 ] || fail "--once with the client certificate exited $RC: $(cat "$WORK/cert.log")"
"$CTL" -s "https://127.0.0.1:$G_HTTPS" --cacert "$TLS/ca.crt" --cert "$TLS/client.crt" \
	--key "$TLS/client.key" status >"$WORK/ctl.out" 2>&1
grep -q "HTTP 404" "$WORK/ctl.out" || fail "gslbctl with a client certificate: $(cat "$WORK/ctl.out")"

step "gslbd --check-config loads the certificates and names the listener's line"
sed 's|^        key: api.key$|        key: tls/stranger.key|' "$CONF" >"$WORK/bad.conf" ||
	fail "cannot write bad.conf"
"$GSLBD" --check-config -c "$WORK/bad.conf" >"$WORK/check.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "--check-config with a key of another certificate exited $rc"
grep -Eq "bad\.conf:[0-9]+:7: api\.listen\[0\] 127\.0\.0\.1:0: TLS key .*stranger\.key does not match the certificate" \
	"$WORK/check.out" || fail "--check-config said: $(cat "$WORK/check.out")"
"$GSLBD" --check-config -c "$CONF" >"$WORK/check.out" 2>&1 ||
	fail "--check-config of the running config: $(cat "$WORK/check.out")"

step "stop"
for id in $PROBE_IDS; do
	probe_stop "$id"
done
gslbd_stop
echo "ok: TLS listeners by role"
