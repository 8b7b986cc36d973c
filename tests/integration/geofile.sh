#!/bin/sh
# A GeoIP database file changed under a running gslbd: truncated in place,
# then /v1/explain and SIGHUP; random bytes of the same size written in
# place, then SIGHUP. gslbd keeps running and answering from the database
# it loaded (a private copy), refuses each bad file with its reason in the
# log and counts it in the metrics; a valid file written in place is taken.
# Started with an empty file, gslbd serves without a database (located
# pools answer in their listed order) with the error in its log, instead of
# exiting, and loads the database once a reload finds it good.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

US4="192.0.2.10 192.0.2.11"
EU4=198.51.100.10
AP4=203.0.113.10
DB=$WORK/geo.mmdb
CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
gslbd_start "$CONF"
api_port
wait_maps_ready

# located: the answers the test city database gives (London and Dublin to
# eu-west, Singapore to ap-southeast, New York to us-east), with the
# database's scopes; explain places London in GB.
located() {
	q +subnet=81.2.69.0/24 www.gslb.example.com A
	assert_rcode NOERROR
	assert_addrs "$EU4"
	assert_ecs 81.2.69.0/24/24
	q +subnet=203.0.113.0/24 www.gslb.example.com A
	assert_addrs "$AP4"
	q +subnet=192.0.2.0/24 www.gslb.example.com A
	assert_addrs "$US4"
	api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=81.2.69.0/24"
	assert_api_code 200
	assert_api_jq .location.country GB
	assert_api_jq '[.answer[].datacenter] | join(",")' eu-west
}

# hup_refused COUNT: SIGHUP, then the COUNTth refusal of the file is logged
# and the reload of the rest is done; gslbd still runs.
hup_refused() {
	local reloads
	reloads=$(grep -c 'reload: ok' "$G_LOG")
	kill -HUP "$G_PID"
	wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 5 ||
		fail "no reload after SIGHUP"
	gslbd_alive || fail "gslbd died on the reload"
	[ "$(grep -Ec "geoip: $DB: .*; keeping the database loaded before" "$G_LOG")" -eq "$1" ] ||
		fail "refusal $1 of $DB not logged as such"
	[ "$(metric gslbd_geo_database_ok)" = 0 ] || fail "gslbd_geo_database_ok is not 0"
	[ "$(metric gslbd_geo_load_failures_total)" = "$1" ] ||
		fail "gslbd_geo_load_failures_total is not $1"
}

step "the database as loaded"
located
[ "$(metric gslbd_geo_database_ok)" = 1 ] || fail "gslbd_geo_database_ok is not 1"
[ "$(metric gslbd_geo_load_failures_total)" = 0 ] || fail "gslbd_geo_load_failures_total is not 0"
size=$(wc -c <"$DB")

step "truncated in place: /v1/explain and answers read the private copy"
truncate -s 0 "$DB"
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=203.0.113.0/24"
gslbd_alive || fail "gslbd died on /v1/explain after the truncation"
assert_api_code 200
assert_api_jq .location.country SG
located

step "truncated in place: SIGHUP refuses it with the reason, the old data serves"
hup_refused 1
grep -q "geoip: $DB: cannot open: the file is empty; keeping" "$G_LOG" ||
	fail "the refusal does not say the file is empty"
located

step "random bytes of the same size written in place: refused, the old data serves"
head -c "$size" /dev/urandom >"$WORK/noise"
dd if="$WORK/noise" of="$DB" conv=notrunc status=none
[ "$(wc -c <"$DB")" -eq "$size" ] || fail "the overwrite changed the size"
hup_refused 2
located
out=$("$GSLBD" -c "$CONF" --check-config 2>&1) && fail "--check-config accepted the random file: $out"
echo "$out" | grep -q "geoip.database cannot be used" || fail "--check-config: $out"

step "another valid database written in place: taken"
# The flat test database, with the layout that reads it.
cp "$GEO_DB_DIR/test-flat.mmdb" "$DB"
awk '{ print } /^  database: geo.mmdb$/ {
	print "  latitude: latitude"; print "  longitude: longitude"
	print "  country: country_code"; print "  continent: continent_code" }' \
	"$CONF" >"$CONF.new" && mv -f "$CONF.new" "$CONF"
reloads=$(grep -c 'reload: ok' "$G_LOG")
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 5 || fail "no reload"
wait_maps_ready
log_wait "geoip: $DB: loaded" 5
[ "$(metric gslbd_geo_database_ok)" = 1 ] || fail "gslbd_geo_database_ok is not 1 again"
[ "$(metric gslbd_geo_load_failures_total)" = 2 ] || fail "gslbd_geo_load_failures_total moved"
# London is not in the flat database: the listed order, us-east.
q +subnet=81.2.69.0/24 www.gslb.example.com A
assert_addrs "$US4"
q +subnet=198.51.100.0/24 www.gslb.example.com A
assert_addrs "$EU4"
assert_ecs 198.51.100.0/24/24

step "an unchanged file: the loaded copy is kept, not read again"
loads=$(grep -c "geoip: $DB: loaded" "$G_LOG")
reloads=$(grep -c 'reload: ok' "$G_LOG")
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 5 || fail "no reload"
wait_maps_ready
[ "$(grep -c "geoip: $DB: loaded" "$G_LOG")" -eq "$loads" ] || fail "the unchanged file was loaded again"
gslbd_stop

step "started with an empty file: serves without a database, with the error logged"
: >"$DB"
G_LOG=$WORK/gslbd-empty.log
G_PORTFILE=$WORK/gslbd-empty.ports
: >"$G_LOG"
# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
$TEST_WRAPPER "$GSLBD" -c "$CONF" --port-file "$G_PORTFILE" >>"$G_LOG" 2>&1 &
G_PID=$!
wait_until "grep -q 'ready:' \"\$G_LOG\" || ! gslbd_alive" 10 || fail "gslbd not ready"
gslbd_alive || fail "gslbd exited when started with an empty database file"
G_UDP=$(awk '$1 == "dns" && $2 == "udp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
G_TCP=$(awk '$1 == "dns" && $2 == "tcp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
api_port
grep -q "\[error\]: geoip: $DB: cannot open: the file is empty; serving without a GeoIP database" "$G_LOG" ||
	fail "no error line naming the empty file"
[ "$(metric gslbd_geo_database_ok)" = 0 ] || fail "gslbd_geo_database_ok is not 0"
[ "$(metric gslbd_geo_load_failures_total)" = 1 ] || fail "gslbd_geo_load_failures_total is not 1"
# Unlocated: the pool's listed order, scope /0.
q +subnet=198.51.100.0/24 www.gslb.example.com A
assert_rcode NOERROR
assert_addrs "$US4"
assert_ecs 198.51.100.0/24/0
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=198.51.100.0/24"
assert_api_code 200
assert_api_jq 'has("location")' false

step "the file made good again: a reload loads it"
cp "$GEO_DB_DIR/test-flat.mmdb" "$DB"
kill -HUP "$G_PID"
log_wait "geoip: $DB: loaded" 5
wait_until 'q +subnet=198.51.100.0/24 www.gslb.example.com A; [ "$(answer_addrs)" = "$EU4" ]' 5 ||
	qfail "198.51.100.0/24 not answered from the database"
[ "$(metric gslbd_geo_database_ok)" = 1 ] || fail "gslbd_geo_database_ok is not 1"
gslbd_stop
echo "PASS"
