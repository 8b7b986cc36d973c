#!/bin/sh
# SIGHUP reloads: a changed zone is served after the reload; a broken zone
# file or config is reported with FILE:LINE:COL and the old data stays
# served; gslbd --check-config on good and bad files.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

CONF=$WORK/gslbd.conf
ZONE=$WORK/example.com.zone
render_config "$CONF"
cp "$CONF" "$WORK/gslbd.conf.good"
gslbd_start "$CONF"

log_count() {
	grep -c -- "$1" "$G_LOG"
}

# hup_and_wait PATTERN: SIGHUP, then wait for one more log line with PATTERN.
hup_and_wait() {
	HUP_PAT=$1
	HUP_BEFORE=$(log_count "$1")
	kill -HUP "$G_PID"
	wait_until '[ "$(log_count "$HUP_PAT")" -gt "$HUP_BEFORE" ]' 10 ||
		fail "no new '$1' log line after SIGHUP"
	grep -- "$1" "$G_LOG" | tail -n 1
}

serial_is() {
	q example.com SOA
	section answer | grep -q " SOA .* $1 7200 3600 1209600 300\$"
}

step "before: new.example.com does not exist"
q new.example.com A
assert_rcode NXDOMAIN
serial_is 2024010101 || qfail "serial 2024010101 expected"

step "zone changed, SIGHUP: the new record is served"
sed -i 's/2024010101/2024010102/' "$ZONE"
printf 'new\t\tA\t192.0.2.222\n' >>"$ZONE"
hup_and_wait 'reload: ok'
new_answered() {
	q new.example.com A
	[ "$(got_rcode)" = NOERROR ]
}
wait_until new_answered 5 || qfail "new record not served after the reload"
assert_flag aa
assert_answer_contains "new.example.com. 3600 IN A 192.0.2.222"
serial_is 2024010102 || qfail "serial 2024010102 expected after the reload"
q +tcp new.example.com A
assert_answer_contains "new.example.com. 3600 IN A 192.0.2.222"
grep -Eq 'reload: ok generation=[0-9]+ zones=3' "$G_LOG" ||
	fail "expected 'reload: ok generation=N zones=3' in the log"

step "broken zone file: reload fails with FILE:LINE:COL, old data kept"
cp "$ZONE" "$WORK/zone.good"
bad_line=$(($(wc -l <"$ZONE") + 1))
printf 'broken\t\tA\tnot-an-address\n' >>"$ZONE"
sed -i 's/2024010102/2024010103/' "$ZONE"
line=$(hup_and_wait 'reload failed')
echo "$line" | grep -Eq "reload failed: [^ ]*example\.com\.zone:$bad_line:[0-9]+: .*keeping generation" ||
	fail "expected 'reload failed: .../example.com.zone:$bad_line:COL: ...; keeping generation N', got: $line"
gslbd_alive || fail "gslbd died on a bad reload"
q new.example.com A
assert_rcode NOERROR
assert_answer_contains "new.example.com. 3600 IN A 192.0.2.222"
serial_is 2024010102 || qfail "old serial 2024010102 expected after a failed reload"
q broken.example.com A
assert_rcode NXDOMAIN

step "broken config (unknown key): reload fails with FILE:LINE:COL, old data kept"
cp "$WORK/zone.good" "$ZONE"
srv_line=$(grep -n '^server:' "$CONF" | cut -d: -f1)
awk '{ print } /^server:/ { print "  bogus_key: 1" }' "$WORK/gslbd.conf.good" >"$CONF"
line=$(hup_and_wait 'reload failed')
echo "$line" | grep -Eq "reload failed: [^ ]*gslbd\.conf:$((srv_line + 1)):3: .*bogus_key" ||
	fail "expected 'reload failed: .../gslbd.conf:$((srv_line + 1)):3: ...bogus_key...', got: $line"
gslbd_alive || fail "gslbd died on a bad reload"
assert_www_ok
q new.example.com A
assert_answer_contains "new.example.com. 3600 IN A 192.0.2.222"

step "good config again: reload ok"
cp "$WORK/gslbd.conf.good" "$CONF"
sed -i 's/^new\t.*/newer\t\tA\t192.0.2.223/; s/2024010102/2024010104/' "$ZONE"
hup_and_wait 'reload: ok' >/dev/null
newer_answered() {
	q newer.example.com A
	[ "$(got_rcode)" = NOERROR ]
}
wait_until newer_answered 5 || qfail "newer.example.com not served after the reload"
assert_answer_contains "newer.example.com. 3600 IN A 192.0.2.223"
q new.example.com A
assert_rcode NXDOMAIN

step "several reloads in a row while queries run"
for i in 1 2 3; do
	kill -HUP "$G_PID"
	q www.example.com A
	assert_rcode NOERROR
done
wait_until '[ "$(log_count "reload: ok")" -ge 5 ]' 10 || fail "expected five 'reload: ok' lines"
gslbd_alive || fail "gslbd died during reloads"

# check_config FILE: run gslbd --check-config; output in CC_OUT, status in CC_RC.
check_config() {
	# shellcheck disable=SC2086
	CC_OUT=$($TEST_WRAPPER "$GSLBD" --check-config -c "$1" 2>&1)
	CC_RC=$?
}

step "--check-config on a good file"
check_config "$CONF"
[ "$CC_RC" -eq 0 ] || fail "--check-config on a good file: exit $CC_RC: $CC_OUT"
echo "$CC_OUT" | grep -q "gslbd.conf: ok" || fail "--check-config: expected 'FILE: ok', got: $CC_OUT"

step "--check-config on a config with an unknown key"
awk '{ print } /^server:/ { print "  bogus_key: 1" }' "$WORK/gslbd.conf.good" >"$WORK/bad-key.conf"
check_config "$WORK/bad-key.conf"
[ "$CC_RC" -eq 1 ] || fail "--check-config on a bad file: exit $CC_RC, expected 1: $CC_OUT"
echo "$CC_OUT" | grep -Eq "bad-key\.conf:$((srv_line + 1)):3: .*bogus_key" ||
	fail "--check-config: expected 'bad-key.conf:$((srv_line + 1)):3: ...bogus_key...', got: $CC_OUT"

step "--check-config on a config with an out-of-range value"
sed 's/udp_max_size: 1232/udp_max_size: 70000/' "$WORK/gslbd.conf.good" >"$WORK/bad-range.conf"
range_line=$(grep -n 'udp_max_size' "$WORK/bad-range.conf" | cut -d: -f1)
check_config "$WORK/bad-range.conf"
[ "$CC_RC" -eq 1 ] || fail "--check-config (udp_max_size 70000): exit $CC_RC, expected 1: $CC_OUT"
echo "$CC_OUT" | grep -Eq "bad-range\.conf:$range_line:[0-9]+: .*udp_max_size" ||
	fail "--check-config: expected 'bad-range.conf:$range_line:COL: ...udp_max_size...', got: $CC_OUT"

step "--check-config with a broken zone file"
mkdir -p "$WORK/badzone"
cp "$WORK/gslbd.conf.good" "$WORK/badzone/gslbd.conf"
cp "$WORK/sub.example.com.zone" "$WORK/example.net.zone" "$WORK/badzone/"
cp "$WORK/zone.good" "$WORK/badzone/example.com.zone"
zbad_line=$(($(wc -l <"$WORK/badzone/example.com.zone") + 1))
printf 'broken\t\tA\tnot-an-address\n' >>"$WORK/badzone/example.com.zone"
check_config "$WORK/badzone/gslbd.conf"
[ "$CC_RC" -eq 1 ] || fail "--check-config with a bad zone: exit $CC_RC, expected 1: $CC_OUT"
echo "$CC_OUT" | grep -Eq "example\.com\.zone:$zbad_line:[0-9]+: " ||
	fail "--check-config: expected 'example.com.zone:$zbad_line:COL: ...', got: $CC_OUT"

step "--check-config on a missing file"
check_config "$WORK/nothere.conf"
[ "$CC_RC" -eq 1 ] || fail "--check-config on a missing file: exit $CC_RC, expected 1: $CC_OUT"

step "stop"
gslbd_stop
echo "PASS"
