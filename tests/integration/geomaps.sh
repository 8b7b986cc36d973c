#!/bin/sh
# The compiled geo maps in /metrics and across a reload: the two located
# pool inputs of the geo config are compiled at start; a reload that
# changes one pool's country override compiles that input alone and keeps
# the other map, and both answer as before (the changed one as changed).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

US4="192.0.2.10 192.0.2.11"
EU4=198.51.100.10
AP4=203.0.113.10
CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
gslbd_start "$CONF"
api_port

# maps_metrics COMPILED KEPT: the maps' metrics
maps_metrics() {
	local compiled kept bytes secs
	compiled=$(metric 'gslbd_geo_maps{origin="compiled"}')
	kept=$(metric 'gslbd_geo_maps{origin="kept"}')
	bytes=$(metric gslbd_geo_maps_bytes)
	secs=$(metric gslbd_geo_maps_compile_seconds)
	[ "$compiled" = "$1" ] || fail "gslbd_geo_maps{origin=compiled} is '$compiled', not $1"
	[ "$kept" = "$2" ] || fail "gslbd_geo_maps{origin=kept} is '$kept', not $2"
	[ "${bytes:-0}" -gt 0 ] || fail "gslbd_geo_maps_bytes is '$bytes'"
	[ -n "$secs" ] || fail "no gslbd_geo_maps_compile_seconds"
}

step "at start: web and web-overrides compiled in one walk"
maps_metrics 2 0
grep -q 'GeoIP decisions compiled: 2 map(s) (2 compiled, 0 kept)' "$G_LOG" ||
	fail "no compile line for the two maps"
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "$EU4"
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$US4"

step "one pool's override changed: that input compiled, the other kept"
sed -i 's/^      GB: \[us-east, eu-west\]$/      GB: [ap-southeast]/' "$CONF"
grep -q 'GB: \[ap-southeast\]' "$CONF" || fail "the override was not changed"
reloads=$(grep -c 'reload: ok' "$G_LOG")
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 10 || fail "no reload"
grep -q 'GeoIP decisions compiled: 2 map(s) (1 compiled, 1 kept)' "$G_LOG" ||
	fail "the reload did not keep the unchanged map"
maps_metrics 1 1
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "$EU4"
assert_ecs 81.2.69.0/24/24
q +subnet=81.2.69.0/24 ov.gslb.example.com A
assert_addrs "$AP4"
q +subnet=203.0.113.0/24 www.gslb.example.com A
assert_addrs "$AP4"

gslbd_stop
