#!/bin/bash
# gslb-probe against small real HTTP servers (tests/tools/httpd): a
# backend to check and fake gslbd servers that serve /v1/probe-config and
# record the signed reports they verify. Checks that --once fetches the
# config (skipping a dead server), runs every check, and posts one signed
# report to every server on its own; that a dead or refusing server does
# not stop the others; that refusals are not retried but server errors are
# (boundedly); that the cached config is used when no server answers; and
# that the daemon keeps reporting each cycle and stops cleanly on SIGTERM;
# HTTPS checks against openssl s_server, verifying or not; HTTP and TCP
# checks of a backend on ::1; and that an endless body is cut at the 64 KiB
# cap instead of downloaded until the timeout.
#
# Exit codes: 0 pass, 1 fail, 77 skip. Nothing sleeps to synchronise.
. "$top_srcdir/tests/integration/lib.sh"

PROBE=$top_builddir/probes/gslb-probe
HTTPD=$top_builddir/tests/tools/httpd
PROBE_DATA=$top_srcdir/tests/data/probe
[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built"; exit 1; }
[ -x "$HTTPD" ] || { echo "FAIL: $HTTPD not built"; exit 1; }

P_PID=
SECRET=integration-test-secret-0123456789

# wait_file FILE SECONDS: poll until FILE exists.
wait_file() {
	wait_until "[ -e '$1' ]" "$2"
}

# start_httpd NAME ARGS...: run httpd with its own dir $WORK/NAME, set
# PORT to its port.
start_httpd() {
	local name=$1

	shift
	mkdir -p "$WORK/$name"
	"$HTTPD" -p "$WORK/$name/port" -d "$WORK/$name" "$@" 2>"$WORK/$name/stderr" &
	BG_PIDS="$BG_PIDS $!"
	wait_file "$WORK/$name/port" 5 || fail "httpd $name did not start"
	PORT=$(cat "$WORK/$name/port")
}

# write_conf FILE SERVER_URL... (more keys from $EXTRA)
write_conf() {
	local file=$1 s

	shift
	{
		echo "probe:"
		echo "  id: probe-test"
		echo "  secret_file: probe.key"
		echo "  max_concurrent: 3"
		[ -n "${CACHE:-}" ] && echo "  cache_file: $CACHE"
		echo "servers:"
		for s in "$@"; do
			echo "  - $s"
		done
		echo "report:"
		echo "  timeout: $((2 * TF))s"
		echo "  retries: ${RETRIES:-2}"
		echo "config_refresh: 1s"
		echo "log:"
		echo "  level: debug"
	} >"$file"
}

# run_once CONF LOG: gslb-probe --once; sets RC.
run_once() {
	$TEST_WRAPPER "$PROBE" -c "$1" --once >"$2" 2>&1
	RC=$?
}

# assert_result FILE DATACENTER OK_JSON [STATUS]
assert_result() {
	grep -q "{\"datacenter\":\"$2\",\"ok\":$3," "$1" ||
		fail "$1: no result datacenter=$2 ok=$3: $(cat "$1")"
	if [ -n "${4:-}" ]; then
		grep -q "{\"datacenter\":\"$2\",\"ok\":$3,\"rtt_ms\":\\(null\\|[0-9.]*\\),\"status\":$4," "$1" ||
			fail "$1: datacenter=$2 status is not $4: $(cat "$1")"
	fi
}

printf '%s\n' "$SECRET" >"$WORK/probe.key"

# ---- backend and the config the fake servers hand out ---------------------
start_httpd backend -C "$WORK/closed-port"
BACKEND=$PORT
CLOSED=$(cat "$WORK/closed-port")
sed -e "s/@BACKEND@/$BACKEND/g" -e "s/@CLOSED@/$CLOSED/g" \
	-e "s/@SLOW_TIMEOUT@/$((300 * TF))/g" \
	"$PROBE_DATA/probe-config.json.in" >"$WORK/probe-config.json"

start_httpd s1 -k probe-test -s "$SECRET" -c "$WORK/probe-config.json"
S1=$PORT
start_httpd s2 -k probe-test -s "$SECRET" -c "$WORK/probe-config.json"
S2=$PORT
DEAD=http://127.0.0.1:$CLOSED

# ---- 1: --once, a dead server first, two live ones --------------------------
write_conf "$WORK/p1.yaml" "$DEAD" "http://127.0.0.1:$S1" "http://127.0.0.1:$S2/"
start=$(now_ms)
run_once "$WORK/p1.yaml" "$WORK/p1.log"
[ "$RC" -eq 1 ] || fail "--once with a dead server should exit 1, got $RC: $(cat "$WORK/p1.log")"
grep -q "ready: probe=probe-test servers=3 checks=8" "$WORK/p1.log" ||
	fail "no ready line: $(cat "$WORK/p1.log")"
grep -q "report failed: server=$DEAD " "$WORK/p1.log" ||
	fail "dead server failure not logged: $(cat "$WORK/p1.log")"
# One body for every server: the cycle names what the probe saw alike.
cmp -s "$WORK/s1/report.1.json" "$WORK/s2/report.1.json" || fail "the servers got different bodies"
for s in s1 s2; do
	r=$WORK/$s/report.1.json
	[ -e "$r" ] || fail "$s got no verified report: $(cat "$WORK/p1.log")"
	[ ! -e "$WORK/$s/report.2.json" ] || fail "$s got two reports"
	[ ! -e "$WORK/$s/rejected.1" ] || fail "$s rejected a signature"
	grep -q '^{"probe":"probe-test","cycle":1,"results":\[' "$r" || fail "bad report body: $(cat "$r")"
	assert_result "$r" live true 200
	assert_result "$r" tcp-live true 0
	assert_result "$r" wrong-status false 503
	assert_result "$r" wrong-body false 200
	assert_result "$r" closed false 0
	assert_result "$r" slow false
	assert_result "$r" host-port true 200
	assert_result "$r" host-v6 true 200
	grep -q '"datacenter":"closed","ok":false,"rtt_ms":null,' "$r" ||
		fail "closed port should have rtt_ms null: $(cat "$r")"
	grep -qi '^X-GSLB-Key: probe-test' "$WORK/$s/report.1.hdr" || fail "no key header"
	grep -qi '^Content-Type: application/json' "$WORK/$s/report.1.hdr" ||
		fail "no content type"
done
# The config came from s1 (the dead server was skipped), signed.
grep -q "GET /v1/probe-config" "$WORK/s1/requests.log" || fail "s1 served no config"
grep -q "GET /v1/probe-config" "$WORK/s2/requests.log" && fail "s2 should not be asked for the config"
# Host names the check's host while the connection goes to the address.
grep -q "GET /body/all-ok host=backend.test:$BACKEND" "$WORK/backend/requests.log" ||
	fail "check Host header: $(cat "$WORK/backend/requests.log")"
# A host with a port, and an IPv6 literal with one (as gslbd.conf allows):
# the Host header says so, the connection still goes to the address.
grep -q "GET /body/port-ok host=backend.test:8080\$" "$WORK/backend/requests.log" ||
	fail "check Host header with a port: $(cat "$WORK/backend/requests.log")"
grep -q "GET /body/v6-ok host=\[2001:db8::1\]:8443\$" "$WORK/backend/requests.log" ||
	fail "check Host header of an IPv6 literal: $(cat "$WORK/backend/requests.log")"
# A check's timeout bounds the run (the slow backend answers after 30s).
[ $(($(now_ms) - start)) -lt $((10000 * TF)) ] || fail "--once took too long"
echo "ok 1: --once reports to every live server past a dead one"

# ---- 2: every server accepts -> exit 0 -----------------------------------------
write_conf "$WORK/p2.yaml" "http://127.0.0.1:$S1" "http://127.0.0.1:$S2"
run_once "$WORK/p2.yaml" "$WORK/p2.log"
[ "$RC" -eq 0 ] || fail "--once with live servers should exit 0, got $RC: $(cat "$WORK/p2.log")"
[ -e "$WORK/s1/report.2.json" ] && [ -e "$WORK/s2/report.2.json" ] || fail "second reports missing"
echo "ok 2: --once exits 0 when every server accepts"

# ---- 3: a wrong secret is refused (401) and not retried ---------------------------
start_httpd bad -k probe-test -s "another-secret-0123456789" -c "$WORK/probe-config.json"
BAD=$PORT
write_conf "$WORK/p3.yaml" "http://127.0.0.1:$S1" "http://127.0.0.1:$BAD"
run_once "$WORK/p3.yaml" "$WORK/p3.log"
[ "$RC" -eq 1 ] || fail "a refused report should make --once exit 1, got $RC"
[ -e "$WORK/bad/rejected.1" ] || fail "bad server saw no report"
[ ! -e "$WORK/bad/rejected.2" ] || fail "a 401 was retried"
grep -q "report failed: server=http://127.0.0.1:$BAD attempts=1 reason=HTTP 401 bad_signature" \
	"$WORK/p3.log" || fail "401 reason not logged: $(cat "$WORK/p3.log")"
[ -e "$WORK/s1/report.3.json" ] || fail "s1 did not get its report next to a refusing server"
echo "ok 3: refusals are logged with the reason and not retried"

# ---- 4: 5xx is retried, boundedly; 409 is not -----------------------------------
start_httpd e500 -k probe-test -s "$SECRET" -r 500
E500=$PORT
start_httpd e409 -k probe-test -s "$SECRET" -r 409
E409=$PORT
RETRIES=2 write_conf "$WORK/p4.yaml" "http://127.0.0.1:$S1" "http://127.0.0.1:$E500" \
	"http://127.0.0.1:$E409"
run_once "$WORK/p4.yaml" "$WORK/p4.log"
[ "$RC" -eq 1 ] || fail "5xx/409 servers should make --once exit 1, got $RC"
[ -e "$WORK/e500/report.3.json" ] || fail "500 was not retried twice: $(cat "$WORK/p4.log")"
[ ! -e "$WORK/e500/report.4.json" ] || fail "500 was retried more than twice"
[ -e "$WORK/e409/report.1.json" ] || fail "409 server saw no report"
[ ! -e "$WORK/e409/report.2.json" ] || fail "409 was retried"
# Each attempt is signed afresh, with a new seq of the same boot id.
t1=$(grep -i '^X-GSLB-Seq' "$WORK/e500/report.1.hdr")
t2=$(grep -i '^X-GSLB-Seq' "$WORK/e500/report.2.hdr")
[ -n "$t1" ] && [ "$t1" != "$t2" ] || fail "a retry reused the seq ($t1)"
b1=$(grep -i '^X-GSLB-Boot' "$WORK/e500/report.1.hdr")
b2=$(grep -i '^X-GSLB-Boot' "$WORK/e500/report.2.hdr")
[ -n "$b1" ] && [ "$b1" = "$b2" ] || fail "one process signed with two boot ids ($b1, $b2)"
echo "ok 4: server errors are retried (bounded, re-signed), 409 is not"

# ---- 5: the cached config is used when no server answers ---------------------------
CACHE=$WORK/cache.json write_conf "$WORK/p5.yaml" "http://127.0.0.1:$S1"
run_once "$WORK/p5.yaml" "$WORK/p5a.log"
[ "$RC" -eq 0 ] || fail "p5a: expected 0, got $RC"
cmp -s "$WORK/cache.json" "$WORK/probe-config.json" || fail "cache file differs from the config"
CACHE=$WORK/cache.json write_conf "$WORK/p5b.yaml" "$DEAD"
run_once "$WORK/p5b.yaml" "$WORK/p5b.log"
[ "$RC" -eq 1 ] || fail "p5b: expected 1 (dead server), got $RC"
grep -q "using the cached probe config $WORK/cache.json (checks=8)" "$WORK/p5b.log" ||
	fail "cache not used: $(cat "$WORK/p5b.log")"
grep -q "ready: probe=probe-test servers=1 checks=8" "$WORK/p5b.log" || fail "no ready from cache"
write_conf "$WORK/p5c.yaml" "$DEAD"
run_once "$WORK/p5c.yaml" "$WORK/p5c.log"
[ "$RC" -eq 1 ] || fail "p5c: no config at all should exit 1, got $RC"
grep -q "no probe config: no server answered" "$WORK/p5c.log" || fail "p5c: no error line"
echo "ok 5: cached config used when no server answers"

# ---- 6: daemon mode reports every cycle and stops on SIGTERM ----------------------
mkdir -p "$WORK/s3"
start_httpd s3 -k probe-test -s "$SECRET" -c "$WORK/probe-config.json"
S3=$PORT
write_conf "$WORK/p6.yaml" "http://127.0.0.1:$S3" "$DEAD"
$TEST_WRAPPER "$PROBE" -c "$WORK/p6.yaml" >"$WORK/p6.log" 2>&1 &
P_PID=$!
BG_PIDS="$BG_PIDS $P_PID"
wait_file "$WORK/s3/report.3.json" 10 || fail "daemon did not report three times: $(cat "$WORK/p6.log")"
# The config is re-fetched with If-None-Match (config_refresh: 1s).
deadline=$(($(now_ms) + 10000 * TF))
while [ "$(grep -c 'GET /v1/probe-config' "$WORK/s3/requests.log")" -lt 2 ]; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "config not refreshed"
	sleep 0.02
done
kill -TERM "$P_PID"
wait "$P_PID"
rc=$?
P_PID=
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(tail -5 "$WORK/p6.log")"
grep -q "probe config unchanged" "$WORK/p6.log" || fail "no 304 on refresh: $(cat "$WORK/p6.log")"
# Each report holds the checks completed since the last one.
cat "$WORK"/s3/report.*.json >"$WORK/s3/reports.all"
assert_result "$WORK/s3/reports.all" live true 200
echo "ok 6: daemon reports each cycle, refreshes with If-None-Match, exits 0 on SIGTERM"

# ---- 6b: a body over the cap is not downloaded to the end ------------------
# A python3 backend answers 200 with an endless body (no Content-Length) and
# counts what it could send before the probe hung up. The probe keeps the
# first 64 KiB, stops the transfer and reports the check as done, well
# before its timeout; before, it downloaded until the timeout (hundreds of
# MB on loopback).
if command -v python3 >/dev/null 2>&1; then
	python3 - "$WORK/endless.port" "$WORK/endless.sent" <<'PYEOF' 2>"$WORK/endless.err" &
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
chunk = b"x" * 65536
while True:
    c, _ = srv.accept()
    c.recv(65536)
    sent = 0
    try:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        while True:
            c.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    c.close()
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(sent))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PYEOF
	BG_PIDS="$BG_PIDS $!"
	wait_file "$WORK/endless.port" 5 || fail "endless backend did not start: $(cat "$WORK/endless.err")"
	ENDLESS=$(cat "$WORK/endless.port")
	ENDLESS_TIMEOUT=$((3000 * TF))
	printf '{"checks": [{"datacenter": "endless", "type": "http", "address": "127.0.0.1", "port": %s, "path": "/", "interval_ms": %s, "timeout_ms": %s}]}\n' \
		"$ENDLESS" $((ENDLESS_TIMEOUT + 1000)) "$ENDLESS_TIMEOUT" >"$WORK/probe-config-endless.json"
	start_httpd s6 -k probe-test -s "$SECRET" -c "$WORK/probe-config-endless.json"
	write_conf "$WORK/p6b.yaml" "http://127.0.0.1:$PORT"
	run_once "$WORK/p6b.yaml" "$WORK/p6b.log"
	[ "$RC" -eq 0 ] || fail "p6b: --once exit $RC: $(tail -5 "$WORK/p6b.log")"
	assert_result "$WORK/s6/report.1.json" endless true 200
	wait_file "$WORK/endless.sent" 5 || fail "the endless backend saw no end"
	sent=$(cat "$WORK/endless.sent")
	echo "endless body: the backend sent $sent bytes before the probe hung up"
	# 64 KiB kept, plus what the socket buffers held: far below what a
	# download until the timeout brings.
	[ "$sent" -le $((16 * 1024 * 1024)) ] || fail "the probe read $sent bytes of an endless body"
	echo "ok 6b: an endless body is cut at the cap"
else
	echo "skip 6b: python3 missing"
fi

# ---- 7: HTTPS checks against a real TLS server ---------------------------------------
# openssl s_server with a self-signed certificate for backend.test: a check
# that does not verify the certificate passes (SNI and Host backend.test,
# pinned to 127.0.0.1), one that verifies it fails, and plain HTTP to the
# TLS port fails.
if ! command -v openssl >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || [ ! -x "$DNSTEST" ]; then
	echo "skip 7: openssl, curl or dnstest missing"
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=backend.test" \
	-addext "subjectAltName=DNS:backend.test" \
	-keyout "$WORK/tls-key.pem" -out "$WORK/tls-cert.pem" >"$WORK/openssl-req.log" 2>&1 ||
	fail "openssl req: $(cat "$WORK/openssl-req.log")"
TLS=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port"
openssl s_server -accept "127.0.0.1:$TLS" -www -quiet -cert "$WORK/tls-cert.pem" \
	-key "$WORK/tls-key.pem" >"$WORK/s_server.log" 2>&1 </dev/null &
BG_PIDS="$BG_PIDS $!"
deadline=$(($(now_ms) + 10000 * TF))
until [ "$(curl -sk -o /dev/null -w '%{http_code}' --resolve "backend.test:$TLS:127.0.0.1" \
	"https://backend.test:$TLS/")" = 200 ]; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "openssl s_server did not answer: $(cat "$WORK/s_server.log")"
	sleep 0.05
done
TLS_TIMEOUT=$((2000 * TF))
printf '%s\n' \
	'{"interval_ms": 500, "checks": [' \
	" {\"datacenter\": \"tls-insecure\", \"type\": \"https\", \"address\": \"127.0.0.1\", \"port\": $TLS, \"path\": \"/\", \"host\": \"backend.test\", \"expect_status\": [200], \"tls_verify\": false, \"interval_ms\": $((TLS_TIMEOUT + 500)), \"timeout_ms\": $TLS_TIMEOUT}," \
	" {\"datacenter\": \"tls-verify\", \"type\": \"https\", \"address\": \"127.0.0.1\", \"port\": $TLS, \"path\": \"/\", \"host\": \"backend.test\", \"expect_status\": [200], \"tls_verify\": true, \"interval_ms\": $((TLS_TIMEOUT + 500)), \"timeout_ms\": $TLS_TIMEOUT}," \
	" {\"datacenter\": \"plain-to-tls\", \"type\": \"http\", \"address\": \"127.0.0.1\", \"port\": $TLS, \"path\": \"/\", \"expect_status\": [200], \"tls_verify\": true, \"interval_ms\": $((TLS_TIMEOUT + 500)), \"timeout_ms\": $TLS_TIMEOUT}" \
	']}' >"$WORK/probe-config-tls.json"
start_httpd s4 -k probe-test -s "$SECRET" -c "$WORK/probe-config-tls.json"
S4=$PORT
write_conf "$WORK/p7.yaml" "http://127.0.0.1:$S4"
run_once "$WORK/p7.yaml" "$WORK/p7.log"
[ "$RC" -eq 0 ] || fail "p7: --once exit $RC: $(tail -5 "$WORK/p7.log")"
[ -e "$WORK/s4/report.1.json" ] || fail "p7: no report"
assert_result "$WORK/s4/report.1.json" tls-insecure true 200
assert_result "$WORK/s4/report.1.json" tls-verify false
assert_result "$WORK/s4/report.1.json" plain-to-tls false
grep -q '"datacenter":"tls-verify","ok":false,[^}]*"error":"[^"]*[Cc]ertificate' "$WORK/s4/report.1.json" ||
	fail "p7: tls-verify should fail on the certificate: $(cat "$WORK/s4/report.1.json")"
echo "ok 7: HTTPS checks with and without certificate verification"

# ---- 8: checks of a datacenter at an IPv6 address ----------------------------
if have_ipv6; then
	start_httpd backend6 -6 -C "$WORK/closed-port6"
	B6=$PORT
	C6=$(cat "$WORK/closed-port6")
	printf '%s\n' \
		'{"interval_ms": 500, "checks": [' \
		" {\"datacenter\": \"v6-http\", \"type\": \"http\", \"address\": \"::1\", \"port\": $B6, \"path\": \"/body/all-ok\", \"expect_body\": \"ok\", \"interval_ms\": 2500, \"timeout_ms\": 2000}," \
		" {\"datacenter\": \"v6-host\", \"type\": \"http\", \"address\": \"::1\", \"port\": $B6, \"path\": \"/status/204\", \"host\": \"backend6.test\", \"expect_status\": [204], \"interval_ms\": 2500, \"timeout_ms\": 2000}," \
		" {\"datacenter\": \"v6-tcp\", \"type\": \"tcp\", \"address\": \"::1\", \"port\": $B6, \"interval_ms\": 2500, \"timeout_ms\": 2000}," \
		" {\"datacenter\": \"v6-closed\", \"type\": \"tcp\", \"address\": \"::1\", \"port\": $C6, \"interval_ms\": 2500, \"timeout_ms\": 2000}" \
		']}' >"$WORK/probe-config-v6.json"
	start_httpd s5 -k probe-test -s "$SECRET" -c "$WORK/probe-config-v6.json"
	write_conf "$WORK/p8.yaml" "http://127.0.0.1:$PORT"
	run_once "$WORK/p8.yaml" "$WORK/p8.log"
	[ "$RC" -eq 0 ] || fail "p8: --once exit $RC: $(tail -5 "$WORK/p8.log")"
	r=$WORK/s5/report.1.json
	[ -e "$r" ] || fail "p8: no report"
	assert_result "$r" v6-http true 200
	assert_result "$r" v6-host true 204
	assert_result "$r" v6-tcp true 0
	assert_result "$r" v6-closed false 0
	grep -q "GET /status/204 host=backend6.test:$B6" "$WORK/backend6/requests.log" ||
		fail "p8: the Host header of v6-host: $(cat "$WORK/backend6/requests.log")"
	echo "ok 8: HTTP and TCP checks of IPv6 addresses"
else
	echo "skipped 8: no IPv6 loopback"
fi
exit 0
