#!/bin/sh
# Load-balanced names, policy nearest: answers by the client's location from
# EDNS Client Subnet (IPv4 and IPv6) or from the resolver's address, the ECS
# scope echoed, country and continent overrides, a wildcard name, a CNAME
# datacenter, other query types, static names beside them; --explain and the
# read endpoints of the HTTP API agree with what dig gets; a GeoIP database
# that cannot be read on SIGHUP keeps the old one, a new one (another layout)
# is taken; a load-balanced name that collides with a zone record is refused.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

SOA='gslb.example.com. 60 IN SOA ns1.gslb.example.com. hostmaster.gslb.example.com. 2024060101 7200 3600 1209600 60'

CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
gslbd_start "$CONF"
api_port
# the scopes below are the compiled maps' (direct lookups may give narrower)
wait_maps_ready

# lb NAME TYPE ECS EXPECTED-ADDRS EXPECTED-ECS [DIG-ARGS...]: query NAME with
# the ECS option (- for none) and assert the addresses (in order) and the
# echoed CLIENT-SUBNET (- for no option in the response).
lb() {
	local name=$1 type=$2 ecs=$3 addrs=$4 scope=$5
	shift 5
	if [ "$ecs" = - ]; then
		q "$@" "$name" "$type"
	else
		q "$@" +subnet="$ecs" "$name" "$type"
	fi
	assert_rcode NOERROR
	assert_flag aa
	assert_addrs "$addrs"
	if [ "$scope" = - ]; then
		assert_opt_lacks "CLIENT-SUBNET"
	else
		assert_ecs "$scope"
		scope_holds "$name" "$type" "$scope" "$addrs" "$@"
	fi
}

# scope_holds NAME TYPE ADDR/SOURCE/SCOPE ADDRS [DIG-ARGS...]: a scope
# shorter than the source (the answer said to hold for more than was asked)
# is true: the last address inside it, asked for alone, gets the same answer.
scope_holds() {
	local name=$1 type=$2 ecs=$3 addrs=$4 edge src
	shift 4
	src=${ecs%/*}
	src=${src##*/}
	[ "${ecs##*/}" -gt 0 ] && [ "${ecs##*/}" -lt "$src" ] || return 0
	edge=$(python3 -c 'import ipaddress, sys
a, _, s = sys.argv[1].split("/")
n = ipaddress.ip_network(a + "/" + s, strict=False)
print("%s/%d" % (n[-1], n.max_prefixlen))' "$ecs")
	q "$@" +subnet="$edge" "$name" "$type"
	assert_rcode NOERROR
	assert_addrs "$addrs"
}

step "nearest by IPv4 ECS: London, Dublin, New York, Singapore, Sydney, Sao Paulo, Johannesburg"
lb www.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
assert_answer_contains "www.gslb.example.com. 30 IN A $EU4"
assert_section_count answer 1
assert_section_count authority 0
lb www.gslb.example.com A 198.51.100.0/24 "$EU4" 198.51.100.0/24/24
lb www.gslb.example.com A 192.0.2.0/24 "$US4" 192.0.2.0/24/24
assert_answer_contains "www.gslb.example.com. 30 IN A 192.0.2.10"
assert_answer_contains "www.gslb.example.com. 30 IN A 192.0.2.11"
lb www.gslb.example.com A 203.0.113.0/24 "$AP4" 203.0.113.0/24/24
assert_answer_contains "www.gslb.example.com. 30 IN A $AP4"
# A /16 network of the database: scope /16 for a /24 source.
lb www.gslb.example.com A 45.0.7.0/24 "$AP4" 45.0.7.0/24/16
lb www.gslb.example.com A 177.0.0.0/24 "$US4" 177.0.0.0/24/16
lb www.gslb.example.com A 41.0.0.0/24 "$AP4" 41.0.0.0/24/16
q +subnet=81.2.69.0/24 www.gslb.example.com A +tcp
assert_rcode NOERROR
assert_addrs "$EU4"
assert_ecs 81.2.69.0/24/24

step "nearest by IPv6 ECS"
lb www.gslb.example.com AAAA 2001:db8:100::/56 "$EU6" 2001:db8:100::/56/48
assert_answer_contains "www.gslb.example.com. 30 IN AAAA $EU6"
lb www.gslb.example.com A 2001:db8:100::/56 "$EU4" 2001:db8:100::/56/48
lb www.gslb.example.com AAAA 2001:db8:200:ab00::/56 "$US6" 2001:db8:200:ab00::/56/48
lb www.gslb.example.com A 2001:db8:300::/56 "$AP4" 2001:db8:300::/56/40

step "AAAA for Singapore: the nearest datacenter with IPv6 (ap-southeast has none)"
lb www.gslb.example.com AAAA 203.0.113.0/24 "$EU6" 203.0.113.0/24/24
assert_section_count answer 1
lb www.gslb.example.com AAAA 192.0.2.0/24 "$US6" 192.0.2.0/24/24

step "ECS scope: source prefixes shorter than the network, unlocated, private"
# 45.0.0.0/16 is one network of the database: a /16 source gets /16, a /12
# source (whose address is in it) gets /12.
lb www.gslb.example.com A 45.0.0.0/16 "$AP4" 45.0.0.0/16/16
lb www.gslb.example.com A 45.0.0.0/12 "$AP4" 45.0.0.0/12/12
# 8.8.8.0 is in no network: listed order. The scope is the merged network
# of unlocated clients around it, inside the database's empty region
# (0.0.0.0/5 .. 8.0.0.0/5), and no wider than that empty region less the
# private block 10/8, which keeps a scope of its own: 8.0.0.0/7. --explain
# and dig say the same.
explain_out=$($TEST_WRAPPER "$GSLBD" -c "$CONF" --explain www.gslb.example.com 127.0.0.1 --ecs 8.8.8.0/24 2>&1) ||
	fail "--explain for 8.8.8.0/24 failed: $explain_out"
empty_len=$(echo "$explain_out" | sed -n 's/^location: *unknown (not in the database, network \/\([0-9]*\)).*/\1/p')
[ -n "$empty_len" ] && [ "$empty_len" -ge 1 ] && [ "$empty_len" -le 24 ] ||
	fail "--explain names no empty region (1..24) for 8.8.8.0/24: $explain_out"
scope_len=$(echo "$explain_out" | sed -n 's/^ecs scope: *\/\([0-9]*\)$/\1/p')
[ -n "$scope_len" ] && [ "$scope_len" -ge "$empty_len" ] && [ "$scope_len" -le 7 ] ||
	fail "--explain: scope /${scope_len:-?} is not within the empty region /$empty_len and clear of 10/8: $explain_out"
lb www.gslb.example.com A 8.8.8.0/24 "$US4" "8.8.8.0/24/$scope_len"
# RFC 1918: listed order, the scope of the private block.
lb www.gslb.example.com A 10.1.2.0/24 "$US4" 10.1.2.0/24/8
lb www.gslb.example.com A 192.168.7.0/24 "$US4" 192.168.7.0/24/16
# A source of /32 is answered as its /24 and the option echoed as sent.
lb www.gslb.example.com A 81.2.69.77/32 "$EU4" 81.2.69.77/32/24

step "no ECS: the resolver's address (127.0.0.1, loopback: listed order), no option added"
lb www.gslb.example.com A - "$US4" -
assert_answer_contains "www.gslb.example.com. 30 IN A 192.0.2.10"
lb www.gslb.example.com AAAA - "$US6" -
q +noedns www.gslb.example.com A
assert_rcode NOERROR
assert_addrs "$US4"
[ -z "$(opt_lines)" ] || qfail "an OPT record in the answer to a query without EDNS"
if [ -n "$G_UDP6" ]; then
	Q_ADDR=::1 Q_UDP=$G_UDP6 Q_TCP=$G_TCP6 lb www.gslb.example.com A - "$US4" -
	Q_ADDR=::1 Q_UDP=$G_UDP6 Q_TCP=$G_TCP6 lb www.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
fi

step "static names of the same zone: scope 0 with ECS"
q +subnet=81.2.69.0/24 static.gslb.example.com A
assert_rcode NOERROR
assert_flag aa
assert_answer_contains "static.gslb.example.com. 300 IN A 192.0.2.80"
assert_section_count answer 1
assert_ecs 81.2.69.0/24/0
q +subnet=2001:db8:100::/56 static.gslb.example.com AAAA
assert_rcode NOERROR
assert_answer_contains "static.gslb.example.com. 300 IN AAAA 2001:db8::80"
assert_ecs 2001:db8:100::/56/0
q +subnet=81.2.69.0/24 nothere.gslb.example.com A
assert_rcode NXDOMAIN
assert_section_contains authority "$SOA"
assert_ecs 81.2.69.0/24/0

step "other query types: NODATA with the SOA; ANY as A"
for t in TXT MX SOA NS SRV; do
	q +subnet=81.2.69.0/24 www.gslb.example.com $t
	assert_rcode NOERROR
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA"
done
q +notcp +subnet=81.2.69.0/24 www.gslb.example.com ANY
assert_rcode NOERROR
assert_addrs "$EU4"
assert_answer_contains "www.gslb.example.com. 30 IN A $EU4"
q +subnet=192.0.2.0/24 www.gslb.example.com ANY
assert_rcode NOERROR
assert_addrs "$US4"
q www.gslb.example.com A CH
assert_rcode REFUSED

step "wildcard load-balanced name"
lb foo.apps.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
assert_answer_contains "foo.apps.gslb.example.com. 30 IN A $EU4"
lb a.b.apps.gslb.example.com A 203.0.113.0/24 "$AP4" 203.0.113.0/24/24
assert_answer_contains "a.b.apps.gslb.example.com. 30 IN A $AP4"
lb Bar.APPS.gslb.example.com AAAA 192.0.2.0/24 "$US6" 192.0.2.0/24/24
assert_section_contains question ";Bar.APPS.gslb.example.com. IN AAAA"
q apps.gslb.example.com A
assert_rcode NOERROR
assert_section_count answer 0
assert_section_contains authority "$SOA"
q x.other.gslb.example.com A
assert_rcode NXDOMAIN

step "country override beats continent; continent override; nearest otherwise"
lb ov.gslb.example.com A 81.2.69.0/24 "$US4" 81.2.69.0/24/24
lb ov.gslb.example.com A 2001:db8:100::/56 "$US4" 2001:db8:100::/56/48
lb ov.gslb.example.com A 198.51.100.0/24 "$AP4" 198.51.100.0/24/24
lb ov.gslb.example.com A 37.0.0.0/24 "$AP4" 37.0.0.0/24/24
lb ov.gslb.example.com A 45.0.0.0/16 "$US4" 45.0.0.0/16/16
lb ov.gslb.example.com A 192.0.2.0/24 "$US4" 192.0.2.0/24/24
lb ov.gslb.example.com A 203.0.113.0/24 "$AP4" 203.0.113.0/24/24
# 62.0.0.0/24 has a country (DE, EU) but no coordinates: the continent
# override applies; nearest alone has only the listed order, as the empty
# space around it has: for nearest the network merges with its unlocated
# neighbours up to 48.0.0.0/4.
lb ov.gslb.example.com A 62.0.0.0/24 "$AP4" 62.0.0.0/24/24
lb www.gslb.example.com A 62.0.0.0/24 "$US4" 62.0.0.0/24/4
# AAAA: the override list is the whole preference. GB's list has IPv6;
# EU's (ap-southeast only) has none, and no other datacenter is added: NODATA.
lb ov.gslb.example.com AAAA 81.2.69.0/24 "$US6" 81.2.69.0/24/24
lb ov.gslb.example.com AAAA 198.51.100.0/24 "" 198.51.100.0/24/24
assert_section_count answer 0
assert_section_contains authority "$SOA"

step "a CNAME datacenter"
q +subnet=81.2.69.0/24 cdn.gslb.example.com A
assert_rcode NOERROR
assert_flag aa
assert_answer_contains "cdn.gslb.example.com. 45 IN CNAME edge-target.gslb.example.com."
assert_answer_contains "edge-target.gslb.example.com. 300 IN A 192.0.2.99"
assert_section_count answer 2
assert_ecs 81.2.69.0/24/0
q cdn.gslb.example.com AAAA
assert_rcode NOERROR
assert_answer_contains "cdn.gslb.example.com. 45 IN CNAME edge-target.gslb.example.com."
assert_section_count answer 1
assert_section_contains authority "$SOA"
q cdn.gslb.example.com TXT
assert_rcode NOERROR
assert_answer_contains "cdn.gslb.example.com. 45 IN CNAME edge-target.gslb.example.com."

step "--explain names the datacenter, the distances and the scope"
out=$($TEST_WRAPPER "$GSLBD" -c "$CONF" --explain www.gslb.example.com 127.0.0.1 --ecs 81.2.69.0/24 2>&1) ||
	fail "--explain failed: $out"
echo "$out"
echo "$out" | grep -q '^location: *country=GB continent=EU .*network=/24$' ||
	fail "--explain: no GB/EU location line"
echo "$out" | grep -Eq '^ *1\. eu-west .* up .*distance=4[0-9]{2}km$' ||
	fail "--explain: eu-west is not first at about 465 km"
echo "$out" | grep -Eq '^ *2\. us-east .* up .*distance=55[0-9]{2}km$' ||
	fail "--explain: us-east is not second at about 5570 km"
echo "$out" | grep -Eq '^ *3\. ap-southeast .* up .*distance=108[0-9]{2}km$' ||
	fail "--explain: ap-southeast is not third at about 10850 km"
echo "$out" | grep -qx "answer: *eu-west: $EU4" || fail "--explain: answer is not eu-west $EU4"
echo "$out" | grep -qx "ttl: *30" || fail "--explain: ttl is not 30"
echo "$out" | grep -qx "ecs scope: /24" || fail "--explain: scope is not /24"
out=$($TEST_WRAPPER "$GSLBD" -c "$CONF" --explain x.apps.gslb.example.com 127.0.0.1 --ecs 203.0.113.0/24 --aaaa 2>&1) ||
	fail "--explain --aaaa failed: $out"
echo "$out" | grep -Eq '^ *1\. ap-southeast .*\(no address of this family\)' ||
	fail "--explain --aaaa: ap-southeast not first and without IPv6: $out"
echo "$out" | grep -qx "answer: *eu-west: $EU6" || fail "--explain --aaaa: answer is not eu-west: $out"
out=$($TEST_WRAPPER "$GSLBD" -c "$CONF" --explain static.gslb.example.com 127.0.0.1 2>&1) &&
	fail "--explain of a static name succeeded: $out"
echo "$out" | grep -q "not a load-balanced name" || fail "--explain of a static name: $out"

step "/v1/explain agrees with dig"
# explain_agrees NAME TYPE ECS: the API's decision for 127.0.0.1 with ECS is
# what dig gets (addresses in order, TTL, scope).
explain_agrees() {
	local name=$1 type=$2 ecs=$3 want got
	api_get "/v1/explain?name=$name&client=127.0.0.1&ecs=$ecs&qtype=$type"
	assert_api_code 200
	q +subnet="$ecs" "$name" "$type"
	assert_rcode NOERROR
	want=$(api_jq '"\([.answer[].addresses[]] | join(" "))|\(.ecs_scope)|\(.ttl)"')
	got=$(answer_addrs | tr '\n' ' ')
	got="${got% }|$(ecs_scope | cut -d/ -f3)|$(section answer | awk '{ print $2; exit }')"
	# NODATA has no TTL to compare.
	[ "$want" = "$got" ] || [ "$want" = "${got}${want##*|}" ] ||
		qfail "/v1/explain says 'addresses|scope|ttl' = '$want', dig got '$got'"
}
for ecs in 81.2.69.0/24 198.51.100.0/24 192.0.2.0/24 203.0.113.0/24 45.0.0.0/16 \
	177.0.0.0/24 41.0.0.0/24 62.0.0.0/24 8.8.8.0/24 10.1.2.0/24 45.0.0.0/12; do
	explain_agrees www.gslb.example.com A $ecs
	explain_agrees www.gslb.example.com AAAA $ecs
	explain_agrees ov.gslb.example.com A $ecs
	explain_agrees w.gslb.example.com A $ecs
done
for ecs in 81.2.69.0/24 203.0.113.0/24; do
	explain_agrees fo.gslb.example.com A $ecs
	explain_agrees all.gslb.example.com A $ecs
	explain_agrees all.gslb.example.com AAAA $ecs
	explain_agrees ov.gslb.example.com AAAA $ecs
done
for ecs in 2001:db8:100::/56 2001:db8:200::/56 2001:db8:300::/48; do
	explain_agrees www.gslb.example.com AAAA $ecs
	explain_agrees ov.gslb.example.com A $ecs
done

step "/v1/explain details and errors"
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=81.2.69.0/24"
assert_api_code 200
assert_api_jq .pool web
assert_api_jq .qtype A
assert_api_jq .client.from_ecs true
assert_api_jq .location.country GB
assert_api_jq .location.continent EU
assert_api_jq '[.candidates[].datacenter] | join(",")' eu-west,us-east,ap-southeast
assert_api_jq '.candidates[0].distance_km | floor / 10 | floor' 46
assert_api_jq '.candidates | map(.up) | all' true
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1"
assert_api_code 200
assert_api_jq .client.from_ecs false
assert_api_jq .location.private true
assert_api_jq '[.answer[].datacenter] | join(",")' us-east
api_get "/v1/explain?name=www.gslb.example.com"
assert_api_code 400
api_get "/v1/explain?name=static.gslb.example.com&client=127.0.0.1"
assert_api_code 400
assert_api_jq '.error | test("not a load-balanced name")' true
api_get "/v1/explain?name=www.example.org&client=127.0.0.1"
assert_api_code 400
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&qtype=MX"
assert_api_code 400
api_get "/v1/explain?name=www.gslb.example.com&client=not-an-ip"
assert_api_code 400
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=81.2.69.1/24"
assert_api_code 400

step "/v1/status, /healthz"
api_get /healthz
assert_api_code 200
[ "$API_BODY" = ok ] || api_fail "/healthz body is not 'ok'"
api_get /v1/status
assert_api_code 200
assert_api_jq '[.datacenters[].name] | join(",")' us-east,eu-west,ap-southeast,edge,spare-a,spare-b
assert_api_jq '[.datacenters[] | select(.state == "up" and .admin == "none")] | length' 6
assert_api_jq '.names | length' 11
assert_api_jq '.names[] | select(.name | test("^www\\.gslb")) | .pool' web
assert_api_jq '.names[] | select(.name | test("apps")) | .pool' web
assert_api_jq '.zones[0].serial' 2024060101
gen1=$(api_jq .generation)
api_get /nothere
assert_api_code 404
api_post /v1/status
assert_api_code 405

step "SIGHUP with an unreadable GeoIP database: error logged, old data kept"
# Replaced by rename, as an update would: the loaded file stays mapped.
printf 'this is not a MaxMind DB\n' >"$WORK/geo.mmdb.new"
mv -f "$WORK/geo.mmdb.new" "$WORK/geo.mmdb"
kill -HUP "$G_PID"
log_wait 'geoip: .*keeping the database loaded before' 5
log_wait 'reload: ok generation=' 5
lb www.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
lb www.gslb.example.com A 203.0.113.0/24 "$AP4" 203.0.113.0/24/24
lb ov.gslb.example.com A 45.0.0.0/16 "$US4" 45.0.0.0/16/16
wait_until "api_get /v1/status; [ \"\$(api_jq .generation)\" -gt $gen1 ]" 5 ||
	api_fail "the generation did not move after the reload"

step "SIGHUP with another database and layout (flat records): new answers"
cp "$GEO_DB_DIR/test-flat.mmdb" "$WORK/geo.mmdb.new"
mv -f "$WORK/geo.mmdb.new" "$WORK/geo.mmdb"
awk '{ print } /^  database: geo.mmdb$/ {
	print "  latitude: latitude"; print "  longitude: longitude"
	print "  country: country_code"; print "  continent: continent_code" }' \
	"$CONF" >"$CONF.new" && mv -f "$CONF.new" "$CONF"
$TEST_WRAPPER "$GSLBD" -c "$CONF" --check-config >/dev/null 2>&1 || fail "the flat config is not valid"
reloads=$(grep -c 'reload: ok' "$G_LOG")
kill -HUP "$G_PID"
wait_until "[ \$(grep -c 'reload: ok' \"\$G_LOG\") -gt $reloads ]" 5 || fail "no second reload"
wait_maps_ready
# London is not in the flat database: listed order now.
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs | head -n 1)" = 192.0.2.10 ]' 5 ||
	qfail "London still answered from the old database"
lb www.gslb.example.com A 81.2.69.0/24 "$US4" "81.2.69.0/24/$(
	api_get '/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=81.2.69.0/24'
	api_jq .ecs_scope)"
lb www.gslb.example.com A 198.51.100.0/24 "$EU4" 198.51.100.0/24/24
lb www.gslb.example.com A 203.0.113.0/24 "$AP4" 203.0.113.0/24/24
# ECS is cut to /24: 203.0.113.128/25 is answered as 203.0.113.0/24.
lb www.gslb.example.com A 203.0.113.128/25 "$AP4" 203.0.113.128/25/24
# 203.0.113.128/25 has an out-of-range latitude and bad codes: ignored
# (reached by a resolver address, which is not cut).
api_get "/v1/explain?name=www.gslb.example.com&client=203.0.113.200"
assert_api_code 200
assert_api_jq .location.found true
assert_api_jq .location.prefix 25
assert_api_jq '.location | has("latitude") or has("country") or has("continent")' false
assert_api_jq '[.answer[].datacenter] | join(",")' us-east
lb ov.gslb.example.com A 198.51.100.0/24 "$AP4" 198.51.100.0/24/24

step "a name colliding with a zone record is refused with file:line:col"
cp "$CONF" "$WORK/bad.conf"
printf '  - name: static.gslb.example.com\n    pool: web\n' >>"$WORK/bad.conf"
bad_line=$(grep -n '^  - name: static.gslb.example.com$' "$WORK/bad.conf" | cut -d: -f1)
out=$("$GSLBD" -c "$WORK/bad.conf" --check-config 2>&1) && fail "--check-config accepted: $out"
echo "$out"
echo "$out" | grep -Eq "^$WORK/bad\.conf:$bad_line:[0-9]+: .*static\.gslb\.example\.com\.? has records" ||
	fail "--check-config: expected '$WORK/bad.conf:$bad_line:COL: ... static.gslb.example.com has records', got: $out"
cp "$CONF" "$WORK/bad2.conf"
printf '  - name: www.deleg.example.org\n    pool: web\n' >>"$WORK/bad2.conf"
out=$("$GSLBD" -c "$WORK/bad2.conf" --check-config 2>&1) && fail "--check-config accepted a name outside the zones: $out"
echo "$out" | grep -q "^$WORK/bad2\.conf:[0-9]*:[0-9]*: " || fail "no file:line:col in: $out"
# The same on SIGHUP: logged, the running configuration stays.
cp "$WORK/bad.conf" "$CONF"
kill -HUP "$G_PID"
log_wait 'reload failed: .*static\.gslb\.example\.com\.? has records' 5
lb www.gslb.example.com A 198.51.100.0/24 "$EU4" 198.51.100.0/24/24
q static.gslb.example.com A
assert_answer_contains "static.gslb.example.com. 300 IN A 192.0.2.80"

step "stop"
gslbd_stop
echo "PASS"
