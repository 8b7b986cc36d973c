#!/bin/sh
# gslbctl against a real gslbd on loopback: the status table lists every
# datacenter, zone and name; drain/undrain/force-up need the admin token
# (from -t, -T or GSLBCTL_TOKEN) and move what dig gets; explain names the
# chosen datacenter; reload raises the generation and reports a broken
# configuration; usage errors exit 2, refusals 1 with the server's message,
# an unreachable server 3.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

GSLBCTL=${GSLBCTL_BIN:-$top_builddir/ctl/gslbctl}
[ -x "$GSLBCTL" ] || fail "$GSLBCTL not built"
TOKEN=ctl-t0ken-0123456789
unset GSLBCTL_URL GSLBCTL_TOKEN

US4=192.0.2.10
EU4=198.51.100.10
LONDON=81.2.69.0/24

CONF=$WORK/gslbd.conf
render_config "$CONF" TEMPLATE=gslbctl/gslbctl.conf.in
cp "$DATA/gslbctl/gslb.example.org.zone" "$WORK/" &&
	cp "$GEO_DB_DIR/test-city.mmdb" "$WORK/geo.mmdb" &&
	chmod u+w "$WORK/gslb.example.org.zone" "$WORK/geo.mmdb" ||
	fail "cannot copy the zone and GeoIP database to $WORK"
gslbd_start "$CONF"
api_port
URL=http://127.0.0.1:$G_HTTP

# ctl ARGS...: run gslbctl (under TEST_WRAPPER like the daemon); its stdout
# in CTL_OUT, stderr in CTL_ERR, exit status in CTL_RC.
ctl() {
	CTL_CMD="gslbctl $*"
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	$TEST_WRAPPER "$GSLBCTL" "$@" >"$WORK/ctl.out" 2>"$WORK/ctl.err"
	CTL_RC=$?
	CTL_OUT=$(cat "$WORK/ctl.out")
	CTL_ERR=$(cat "$WORK/ctl.err")
}

ctl_fail() {
	echo "command: $CTL_CMD (exit $CTL_RC)"
	echo "---- stdout"
	echo "$CTL_OUT"
	echo "---- stderr"
	echo "$CTL_ERR"
	echo "----"
	fail "$*"
}

assert_ctl_rc() {
	[ "$CTL_RC" -eq "$1" ] || ctl_fail "exit status: expected $1, got $CTL_RC"
}

# assert_ctl_out / assert_ctl_err TEXT: a fixed string in stdout / stderr.
assert_ctl_out() {
	echo "$CTL_OUT" | grep -qF -- "$1" || ctl_fail "expected '$1' on stdout"
}

assert_ctl_err() {
	echo "$CTL_ERR" | grep -qF -- "$1" || ctl_fail "expected '$1' on stderr"
}

# status_field DATACENTER COLUMN: the cell of the status table in CTL_OUT,
# found through the header line (so that columns may be added).
status_field() {
	echo "$CTL_OUT" | awk -v dc="$1" -v col="$2" '
		$1 == "DATACENTER" && !idx { for (i = 1; i <= NF; i++) if ($i == col) idx = i; next }
		idx && $1 == dc { print $idx; exit }'
}

assert_status_field() {
	local got
	got=$(status_field "$1" "$2")
	[ "$got" = "$3" ] || ctl_fail "status of $1: $2 expected '$3', got '$got'"
}

# answer_is ADDR: dig from London (ECS) gets exactly ADDR for the name.
answer_is() {
	q +subnet=$LONDON www.gslb.example.org A
	[ "$(answer_addrs | tr '\n' ' ')" = "$1 " ]
}

# generation: the snapshot generation from status --json.
generation() {
	"$GSLBCTL" -s "$URL" --json status | jq -r .generation
}

step "usage errors exit 2"
ctl
assert_ctl_rc 2
assert_ctl_err "a command is required"
ctl -s "$URL" frobnicate
assert_ctl_rc 2
assert_ctl_err "unknown command 'frobnicate'"
ctl -s "$URL" drain
assert_ctl_rc 2
ctl -s "$URL" drain a b
assert_ctl_rc 2
ctl -s "$URL" explain www.gslb.example.org
assert_ctl_rc 2
ctl -s "$URL" status extra
assert_ctl_rc 2
ctl -s "$URL" --ecs $LONDON status
assert_ctl_rc 2
ctl -s "$URL" --no-such-option status
assert_ctl_rc 2
ctl -s "$URL" -t x -T "$WORK/token" status
assert_ctl_rc 2
ctl -s "$URL" -T "$WORK/no-such-token-file" drain eu-west
assert_ctl_rc 2
assert_ctl_err "no-such-token-file"
ctl -s "ftp://127.0.0.1:$G_HTTP" status
assert_ctl_rc 2
GSLBCTL_URL=127.0.0.1:$G_HTTP ctl status
assert_ctl_rc 2
assert_ctl_err "is not http:// or https://"
ctl -s "$URL" -t "$(printf 'a\r\nX-Injected: 1')" drain eu-west
assert_ctl_rc 2
assert_ctl_err "control characters"
ctl -h
assert_ctl_rc 0
assert_ctl_out "usage: gslbctl"

step "status: every datacenter, zone and name in an aligned table"
ctl -s "$URL" status
assert_ctl_rc 0
assert_ctl_out "generation: "
echo "$CTL_OUT" | grep -qE '^DATACENTER +REGION +STATE +.*ADMIN +REASON$' ||
	ctl_fail "no DATACENTER/REGION/STATE/ADMIN/REASON header"
for dc in us-east:us eu-west:europe ap-southeast:asia; do
	assert_status_field "${dc%%:*}" REGION "${dc#*:}"
	assert_status_field "${dc%%:*}" STATE up
	assert_status_field "${dc%%:*}" ADMIN none
done
# the columns line up: REGION starts at the same offset in every row
offsets=$(echo "$CTL_OUT" | awk '
	$1 == "DATACENTER" { on = 1 }
	on && NF == 0 { exit }
	on { print index($0, " " $2) }' | sort -u | wc -l)
[ "$offsets" -eq 1 ] || ctl_fail "the REGION column is not aligned"
echo "$CTL_OUT" | grep -qE '^gslb\.example\.org\.? +2024070101 +[0-9]+$' ||
	ctl_fail "the zone gslb.example.org with its serial is not listed"
echo "$CTL_OUT" | grep -qE '^www\.gslb\.example\.org\.? +web$' ||
	ctl_fail "the name www.gslb.example.org of pool web is not listed"

step "status --json prints the server's JSON; GSLBCTL_URL names the server"
GSLBCTL_URL=$URL/ ctl --json status
assert_ctl_rc 0
[ "$(echo "$CTL_OUT" | jq -r '.datacenters | length')" = 3 ] ||
	ctl_fail "--json: expected 3 datacenters"
[ "$(echo "$CTL_OUT" | jq -r '.datacenters[1].name')" = eu-west ] ||
	ctl_fail "--json: expected eu-west second"

step "explain names the chosen datacenter"
answer_is "$EU4" || qfail "London should get eu-west before any drain"
ctl -s "$URL" explain www.gslb.example.org 192.0.2.1 --ecs $LONDON
assert_ctl_rc 0
assert_ctl_out "name:      www.gslb.example.org A"
assert_ctl_out "client:    81.2.69.0/24 (from ECS)"
assert_ctl_out "location:  country=GB"
assert_ctl_out "pool:      web (ordered by"
assert_ctl_out "  1. eu-west "
assert_ctl_out "answer:    eu-west: $EU4"
assert_ctl_out "ttl:       30"
assert_ctl_out "ecs scope: /24"
echo "$CTL_OUT" | grep -qE '^  2\. us-east +region=us +up +weight=[0-9]+ distance=[0-9]+km' ||
	ctl_fail "candidate 2 should be us-east with its distance"
ctl -s "$URL" --json explain www.gslb.example.org 192.0.2.1 --ecs $LONDON
assert_ctl_rc 0
[ "$(echo "$CTL_OUT" | jq -r '.answer[0].datacenter')" = eu-west ] ||
	ctl_fail "--json explain: expected the answer eu-west"
ctl -s "$URL" explain www.gslb.example.org 192.0.2.1 --aaaa
assert_ctl_rc 0
assert_ctl_out "name:      www.gslb.example.org AAAA"
ctl -s "$URL" explain www.example.invalid 192.0.2.1
assert_ctl_rc 1
assert_ctl_err "HTTP 400"
assert_ctl_err "in no served zone"
ctl -s "$URL" explain www.gslb.example.org not-an-address
assert_ctl_rc 1
assert_ctl_err "'not-an-address' is not an IP address"

step "drain without the token is refused with the server's message"
ctl -s "$URL" drain eu-west
assert_ctl_rc 1
assert_ctl_err "HTTP 401"
assert_ctl_err "missing or wrong admin token"
ctl -s "$URL" -t wrong-token drain eu-west
assert_ctl_rc 1
assert_ctl_err "missing or wrong admin token"
ctl -s "$URL" status
assert_status_field eu-west ADMIN none

step "drain with the token from a file: status shows it, dig moves to us-east"
printf '%s\n' "$TOKEN" >"$WORK/token"
ctl -s "$URL" -T "$WORK/token" drain eu-west
assert_ctl_rc 0
[ "$CTL_OUT" = "eu-west: drain" ] || ctl_fail "expected 'eu-west: drain'"
ctl -s "$URL" status
assert_status_field eu-west ADMIN drain
assert_status_field eu-west STATE down
assert_status_field us-east ADMIN none
wait_until "answer_is $US4" 5 || qfail "London still gets eu-west after the drain"
ctl -s "$URL" explain www.gslb.example.org 192.0.2.1 --ecs $LONDON
assert_ctl_rc 0
assert_ctl_out "answer:    us-east: $US4"
echo "$CTL_OUT" | grep -qE '^  [0-9]\. eu-west +region=europe +down ' ||
	ctl_fail "explain should show eu-west down"

step "an unknown datacenter is refused"
ctl -s "$URL" -T "$WORK/token" drain nowhere
assert_ctl_rc 1
assert_ctl_err "HTTP 404"

step "undrain with GSLBCTL_TOKEN: dig gets eu-west again"
GSLBCTL_TOKEN=$TOKEN ctl -s "$URL" undrain eu-west
assert_ctl_rc 0
[ "$CTL_OUT" = "eu-west: undrain" ] || ctl_fail "expected 'eu-west: undrain'"
wait_until "answer_is $EU4" 5 || qfail "London does not get eu-west after the undrain"
ctl -s "$URL" status
assert_status_field eu-west ADMIN none
assert_status_field eu-west STATE up

step "force-up with -t, then undrain"
ctl -s "$URL" -t "$TOKEN" force-up ap-southeast
assert_ctl_rc 0
[ "$CTL_OUT" = "ap-southeast: force-up" ] || ctl_fail "expected 'ap-southeast: force-up'"
ctl -s "$URL" status
assert_status_field ap-southeast ADMIN force-up
assert_status_field ap-southeast STATE up
ctl -s "$URL" -t "$TOKEN" undrain ap-southeast
assert_ctl_rc 0
ctl -s "$URL" status
assert_status_field ap-southeast ADMIN none

step "reload raises the generation; a broken configuration is reported"
gen=$(generation)
case $gen in
'' | *[!0-9]*) fail "no generation in status --json: '$gen'" ;;
esac
ctl -s "$URL" -T "$WORK/token" reload
assert_ctl_rc 0
echo "$CTL_OUT" | grep -qE '^reloaded: generation [0-9]+$' ||
	ctl_fail "expected 'reloaded: generation N'"
new=${CTL_OUT##* }
[ "$new" -gt "$gen" ] || ctl_fail "generation $new after the reload, was $gen"
[ "$(generation)" -ge "$new" ] || fail "status does not show generation $new"
ctl -s "$URL" reload
assert_ctl_rc 1
assert_ctl_err "HTTP 401"
cp "$CONF" "$WORK/gslbd.conf.good"
printf 'no_such_section: 1\n' >>"$CONF"
ctl -s "$URL" -T "$WORK/token" reload
assert_ctl_rc 1
assert_ctl_err "HTTP 500"
assert_ctl_err "gslbd.conf:"
cp "$WORK/gslbd.conf.good" "$CONF"
wait_until "answer_is $EU4" 5 || qfail "a failed reload should keep serving"

step "status shows health, each probe's verdict and RTT, latency (canned answer)"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import http.server' 2>/dev/null; then
	mkdir -p "$WORK/fake/v1"
	cp "$DATA/gslbctl/status-probes.json" "$WORK/fake/v1/status"
	(cd "$WORK/fake" && exec python3 -u -m http.server --bind 127.0.0.1 0) \
		>"$WORK/fake.log" 2>&1 &
	FAKE_PID=$!
	BG_PIDS="$BG_PIDS $FAKE_PID"
	wait_until 'grep -q "port [0-9]" "$WORK/fake.log"' 10 ||
		fail "the canned HTTP server did not start: $(cat "$WORK/fake.log")"
	FAKE=http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$WORK/fake.log" | head -n 1)
	ctl -s "$FAKE" status
	assert_ctl_rc 0
	assert_ctl_out "generation: 7"
	assert_status_field us-east HEALTH up
	assert_status_field eu-west HEALTH down
	assert_status_field eu-west STATE down
	assert_status_field ap-southeast HEALTH -
	assert_status_field ap-southeast ADMIN force-up
	echo "$CTL_OUT" | grep -qE '^eu-west +europe +down +down +none +2 of 2 fresh probes say down$' ||
		ctl_fail "the eu-west row is not as expected"
	echo "$CTL_OUT" | awk '/^probes of eu-west:$/ { on = 1; next } on && NF == 0 { exit } on' |
		grep -qE '^  probe-us +us +down +no +15\.0s +- +503 +unexpected status 503$' ||
		ctl_fail "probe-us's stale verdict on eu-west is not shown"
	echo "$CTL_OUT" | awk '/^probes of us-east:$/ { on = 1; next } on && NF == 0 { exit } on' |
		grep -qE '^  probe-eu +europe +up +yes +1\.2s +71ms +200 +-$' ||
		ctl_fail "probe-eu's verdict and RTT on us-east are not shown"
	if echo "$CTL_OUT" | grep -q '^probes of ap-southeast:'; then
		ctl_fail "ap-southeast has no probe results and should have no probe table"
	fi
	echo "$CTL_OUT" | grep -qE '^  probe-ap +asia +never$' || ctl_fail "probe-ap never reported"
	echo "$CTL_OUT" | grep -qE '^  europe +us-east +71ms$' ||
		ctl_fail "the RTT from europe to us-east is not shown"
	ctl -s "$FAKE" -t "$TOKEN" reload
	assert_ctl_rc 1
	assert_ctl_err "HTTP 501"
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
else
	echo "python3 not found: canned status not checked"
fi

step "an unreachable server exits 3"
gslbd_stop
ctl -s "$URL" status
assert_ctl_rc 3
assert_ctl_err "cannot reach $URL"
GSLBCTL_TOKEN=$TOKEN ctl -s "$URL" drain eu-west
assert_ctl_rc 3

echo "PASS"
