#!/bin/sh
# Zones reloaded one at a time: a SIGHUP reads only the zone files that
# changed (the log says how many); POST /v1/reload?zone=NAME and
# gslbctl reload NAME read that zone again with the running configuration
# (a config change meanwhile is not applied) and reply once it is served;
# a name that is not a zone is refused (404, gslbctl exit 1).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

GSLBCTL=${GSLBCTL_BIN:-$top_builddir/ctl/gslbctl}
[ -x "$GSLBCTL" ] || fail "$GSLBCTL not built"
TOKEN=zone-t0ken-0123456789
CONF=$WORK/gslbd.conf
render_config "$CONF"
sed -i "s|^api:|api:\n  admin_token: \"$TOKEN\"|" "$CONF"
gslbd_start "$CONF"
api_port

log_count() {
	grep -c -- "$1" "$G_LOG"
}
# hup_and_wait: SIGHUP, then wait for one more 'reload: ok' line; print it.
hup_and_wait() {
	local before
	before=$(log_count 'reload: ok')
	kill -HUP "$G_PID"
	wait_until '[ "$(log_count "reload: ok")" -gt "$before" ]' 10 || fail "no 'reload: ok' after SIGHUP"
	grep 'reload: ok' "$G_LOG" | tail -n 1
}
answered() {
	q "$1" A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q "$2"
}

step "SIGHUP with nothing changed reads no zone file"
hup_and_wait | grep -q '(sighup; zones read: 0)' || fail "expected 'zones read: 0': $(grep 'reload: ok' "$G_LOG" | tail -n 1)"

step "SIGHUP after one zone file changed reads that one only"
printf 'new1\tA\t192.0.2.201\n' >>"$WORK/example.net.zone"
hup_and_wait | grep -q '(sighup; zones read: 1)' || fail "expected 'zones read: 1': $(grep 'reload: ok' "$G_LOG" | tail -n 1)"
answered new1.example.net 192.0.2.201 || qfail "the changed zone is not served"

step "POST /v1/reload?zone=example.com: that zone read again, the config not"
q id.server CH TXT
section answer | grep -q 'integ-ns1' || qfail "identity integ-ns1 expected"
sed -i 's/identity: "integ-ns1"/identity: "changed-meanwhile"/' "$CONF"
printf 'new2\tA\t192.0.2.202\n' >>"$WORK/example.com.zone"
api_post "/v1/reload?zone=example.com" "$TOKEN"
assert_api_code 200
[ "$(api_jq .generation)" -gt 1 ] || api_fail "no generation in the reply"
answered new2.example.com 192.0.2.202 || qfail "the zone is not served once the reply came"
grep 'reload: ok' "$G_LOG" | tail -n 1 | grep -q '(zone; zones read: 1)' ||
	fail "expected '(zone; zones read: 1)': $(grep 'reload: ok' "$G_LOG" | tail -n 1)"
q id.server CH TXT
section answer | grep -q 'integ-ns1' || qfail "a zone reload applied the config change"

step "gslbctl reload ZONE; an unknown zone is refused"
printf 'new3\tA\t192.0.2.203\n' >>"$WORK/example.net.zone"
"$GSLBCTL" -s "http://127.0.0.1:$G_HTTP" -t "$TOKEN" reload example.net >"$WORK/ctl.out" 2>&1 ||
	fail "gslbctl reload example.net: $(cat "$WORK/ctl.out")"
grep -q 'reloaded: generation' "$WORK/ctl.out" || fail "gslbctl printed: $(cat "$WORK/ctl.out")"
answered new3.example.net 192.0.2.203 || qfail "gslbctl reload example.net did not serve the change"
rc=0
"$GSLBCTL" -s "http://127.0.0.1:$G_HTTP" -t "$TOKEN" reload nosuch.example >"$WORK/ctl.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "gslbctl reload nosuch.example exited $rc, expected 1"
grep -q 'zone nosuch.example is not served' "$WORK/ctl.out" || fail "gslbctl printed: $(cat "$WORK/ctl.out")"
api_post "/v1/reload?zone=nosuch.example" "$TOKEN"
assert_api_code 404

step "a SIGHUP then applies the config change"
hup_and_wait >/dev/null
q id.server CH TXT
section answer | grep -q 'changed-meanwhile' || qfail "the config change is not applied by SIGHUP"

gslbd_stop
echo PASS
