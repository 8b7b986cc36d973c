#!/bin/sh
# The first answers do not wait for the geo maps: gslbd answers from direct
# lookups in the GeoIP database while the maps compile on a thread of their
# own, with the same datacenters and ECS scopes as the maps give once they
# are published. A reload while they compile wins over the build in progress
# (its stale maps are dropped, the newest config's are compiled), and a
# drain published meanwhile holds when the maps snapshot is published.
#
# GSLBD_TEST_MAPS_HOLD (test builds only, gslbd/net/geocompile.c) makes
# each build wait until the named file exists, so "not ready yet" lasts
# exactly as long as this script wants.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

US4="192.0.2.10 192.0.2.11"
EU4=198.51.100.10
AP4=203.0.113.10
TOKEN=t0ken
CONF=$WORK/gslbd.conf
HOLD=$WORK/maps.hold
rm -f "$HOLD"
render_geo_config "$CONF"
GSLBD_TEST_MAPS_HOLD=$HOLD
export GSLBD_TEST_MAPS_HOLD
gslbd_start "$CONF"
api_port

# answers FILE: the answers and ECS scopes of the located pools for clients
# all over the test database (and outside it), one line each, into FILE.
# Not 62.0.0.0/24, a network without a location: the maps merge it into the
# unlocated space around it and give a wider scope (/4) than its direct
# lookup (/24), for the same answer.
answers() {
	local name net
	: >"$1"
	for name in www ov fo all; do
		for net in 81.2.69.0/24 2.125.160.0/24 198.51.100.0/24 192.0.2.0/24 \
			203.0.113.0/24 45.0.0.0/24 177.0.0.0/24 41.0.0.0/24 37.0.0.0/24 \
			37.0.0.0/16 10.1.0.0/16 0.0.0.0/0 2001:db8::/32; do
			q +subnet=$net $name.gslb.example.com A
			assert_rcode NOERROR
			echo "$name $net: $(answer_addrs | tr '\n' ' ')scope $(ecs_scope)" >>"$1"
		done
	done
}

# maps_count: gslbd_geo_maps{origin="compiled"} (empty while none is served).
maps_count() {
	metric 'gslbd_geo_maps{origin="compiled"}'
}

step "at start: answered from direct lookups while the maps are held"
[ "$(geo_maps)" = compiling ] || fail "geo.maps is '$(geo_maps)', not compiling"
grep -q 'compiling the geo maps of generation 1; direct lookups answer meanwhile' "$G_LOG" ||
	fail "no line for the maps compiled after the start"
[ -z "$(maps_count)" ] || fail "maps served before they were compiled: $(maps_count)"
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "$EU4"
assert_ecs 81.2.69.0/24/24
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$US4"
answers "$WORK/direct.txt"
[ "$(geo_maps)" = compiling ] || fail "the maps were compiled before $HOLD existed"

step "maps released: the same answers and scopes from the compiled maps"
touch "$HOLD"
wait_maps_ready
grep -q 'GeoIP decisions compiled: 2 map(s) (2 compiled, 0 kept)' "$G_LOG" ||
	fail "no compile line for the two maps"
grep -q 'GeoIP decisions: generation 2 answers from the compiled maps' "$G_LOG" ||
	fail "the maps were not published as generation 2"
[ "$(maps_count)" = 2 ] || fail "gslbd_geo_maps{origin=compiled} is '$(maps_count)', not 2"
answers "$WORK/maps.txt"
diff -u "$WORK/direct.txt" "$WORK/maps.txt" ||
	fail "the compiled maps answer otherwise than the direct lookups"

step "a reload while maps compile: the newest config answers, the stale build is dropped"
rm -f "$HOLD"
reloads=$(grep -c 'reload: ok' "$G_LOG")
sed -i 's/^      GB: \[us-east, eu-west\]$/      GB: [ap-southeast]/' "$CONF"
grep -q 'GB: \[ap-southeast\]' "$CONF" || fail "the override was not changed"
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 10 || fail "no reload"
log_wait 'compiling the geo maps of generation 3;' 10
[ "$(geo_maps)" = compiling ] || fail "geo.maps is '$(geo_maps)' after the reload, not compiling"
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$AP4"
reloads=$(grep -c 'reload: ok' "$G_LOG")
sed -i 's/^      GB: \[ap-southeast\]$/      GB: [us-east]/' "$CONF"
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 10 || fail "no second reload"
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$US4"
assert_ecs 81.2.69.0/24/24

step "a drain while maps compile holds when they are published"
api_post /v1/datacenters/eu-west/drain "$TOKEN"
assert_api_code 200
q +subnet=81.2.69.0/24 www.gslb.example.com A
drained=$(answer_addrs | tr '\n' ' ')
[ -n "$drained" ] && [ "$drained" != "$EU4 " ] || qfail "eu-west answered while drained"
[ "$(geo_maps)" = compiling ] || fail "geo.maps is '$(geo_maps)' after the drain, not compiling"
touch "$HOLD"
wait_maps_ready
grep -q 'the maps of generation 3 are stale (reloaded meanwhile): dropped' "$G_LOG" ||
	fail "the stale build was not dropped"
grep -q 'GeoIP decisions compiled: 2 map(s) (1 compiled, 1 kept)' "$G_LOG" ||
	fail "the newest config's maps were not compiled from the last ones"
[ "$(metric 'gslbd_geo_maps{origin="kept"}')" = 1 ] || fail "the served maps do not keep one map"
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$US4"
assert_ecs 81.2.69.0/24/24
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "${drained% }"
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .admin' drain

step "undrained: the maps answer eu-west again, as at start"
api_post /v1/datacenters/eu-west/undrain "$TOKEN"
assert_api_code 200
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "$EU4"
assert_ecs 81.2.69.0/24/24

gslbd_stop
