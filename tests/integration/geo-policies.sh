#!/bin/sh
# Load-balanced names, the other policies and health: failover, all,
# weighted (sticky per /24, split by weight; random), drains through the HTTP
# API (token required), kept in the state file across a restart, undrain and
# force-up, and when_all_down (fail_open, empty, fallback).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

SOA='gslb.example.com. 60 IN SOA ns1.gslb.example.com. hostmaster.gslb.example.com. 2024060101 7200 3600 1209600 60'
TOKEN=t0ken
STATE=$WORK/state.json

CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
gslbd_start "$CONF"
api_port
wait_maps_ready

# lb NAME TYPE ECS EXPECTED-ADDRS EXPECTED-ECS: as in geo.sh.
lb() {
	local name=$1 type=$2 ecs=$3 addrs=$4 scope=$5
	if [ "$ecs" = - ]; then
		q "$name" "$type"
	else
		q +subnet="$ecs" "$name" "$type"
	fi
	assert_rcode NOERROR
	assert_flag aa
	assert_addrs "$addrs"
	if [ "$scope" = - ]; then
		assert_opt_lacks "CLIENT-SUBNET"
	else
		assert_ecs "$scope"
	fi
}

# batch NAME TYPE ECS...: one query per ECS prefix (dig -f); prints one line
# per query: the first address of its answer ("-" when empty), so us-east
# (two addresses) is 192.0.2.10. Fails on a lost or failed query.
batch() {
	local name=$1 type=$2 file=$WORK/batch.txt out e n try
	shift 2
	: >"$file"
	for e in "$@"; do
		echo "+subnet=$e $name $type" >>"$file"
	done
	for try in 1 2 3 4 5; do
		out=$(dig @127.0.0.1 -p "$G_UDP" +norecurse +time="$DIG_TIME" +tries=2 \
			+noall +comments +answer -f "$file" 2>&1)
		dig_reflected "$out" || break
	done
	n=$(echo "$out" | grep -c -- '->>HEADER<<-.*status: NOERROR')
	[ "$n" -eq $# ] || {
		echo "$out" | tail -n 20
		fail "batch $name $type: $n NOERROR responses to $# queries"
	}
	echo "$out" | awk '
		/->>HEADER<</ { if (started && !seen) print "-"; started = 1; seen = 0; next }
		$3 == "IN" && ($4 == "A" || $4 == "AAAA") && !seen { print $5; seen = 1 }
		END { if (started && !seen) print "-" }'
}

# 200 distinct public /24s in no network of the test database.
SUBNETS=
for i in $(seq 0 199); do
	SUBNETS="$SUBNETS 11.$((i / 100)).$((i % 100 * 2)).0/24"
done
# Located networks and a few more, for "never answered" checks.
MANY="81.2.69.0/24 198.51.100.0/24 192.0.2.0/24 203.0.113.0/24 45.0.0.0/16 \
177.0.0.0/24 41.0.0.0/24 37.0.0.0/24 62.0.0.0/24 10.1.2.0/24 8.8.8.0/24 \
$(echo $SUBNETS | cut -d' ' -f1-40)"

step "failover: the first listed datacenter for every client, scope 0"
for ecs in 81.2.69.0/24 192.0.2.0/24 203.0.113.0/24 10.1.2.0/24; do
	lb fo.gslb.example.com A $ecs "$EU4" $ecs/0
	assert_answer_contains "fo.gslb.example.com. 60 IN A $EU4"
done
lb fo.gslb.example.com AAAA 2001:db8:300::/56 "$EU6" 2001:db8:300::/56/0
lb fo.gslb.example.com A - "$EU4" -

step "all: every datacenter with the family, listed order, scope 0"
lb all.gslb.example.com A 203.0.113.0/24 "$US4 $EU4 $AP4" 203.0.113.0/24/0
assert_section_count answer 4
assert_answer_contains "all.gslb.example.com. 20 IN A $AP4"
lb all.gslb.example.com AAAA 81.2.69.0/24 "$US6 $EU6" 81.2.69.0/24/0

step "weighted sticky: split by weight (100/300/600) over 200 /24s, each /24 keeps its answer"
W0=$(batch w.gslb.example.com A $SUBNETS)
[ "$(echo "$W0" | grep -c .)" -eq 200 ] || fail "weighted: $(echo "$W0" | grep -c .) answers for 200 queries"
n_us=$(echo "$W0" | grep -cx 192.0.2.10)
n_eu=$(echo "$W0" | grep -cx "$EU4")
n_ap=$(echo "$W0" | grep -cx "$AP4")
echo "weighted split over 200 /24s: us-east=$n_us eu-west=$n_eu ap-southeast=$n_ap (expected about 20/60/120)"
[ $((n_us + n_eu + n_ap)) -eq 200 ] || fail "weighted: answers other than the three datacenters: $W0"
[ "$n_us" -ge 5 ] && [ "$n_us" -le 40 ] || fail "weighted: us-east (weight 100) got $n_us of 200"
[ "$n_eu" -ge 35 ] && [ "$n_eu" -le 90 ] || fail "weighted: eu-west (weight 300) got $n_eu of 200"
[ "$n_ap" -ge 90 ] && [ "$n_ap" -le 150 ] || fail "weighted: ap-southeast (weight 600) got $n_ap of 200"
W1=$(batch w.gslb.example.com A $SUBNETS)
[ "$W0" = "$W1" ] || fail "weighted sticky: the same /24s got other answers the second time (subnet first second):
$(paste -d' ' <(echo $SUBNETS | tr ' ' '\n') <(echo "$W0") <(echo "$W1") | awk '$2 != $3')"
# Any address in a /24 is the same client; the scope says /24.
lb w.gslb.example.com A 11.0.0.0/24 "$(echo "$W0" | head -n 1 | sed "s/^192.0.2.10$/$US4/")" 11.0.0.0/24/24
lb w.gslb.example.com A 11.0.0.77/32 "$(echo "$W0" | head -n 1 | sed "s/^192.0.2.10$/$US4/")" 11.0.0.77/32/24
lb w.gslb.example.com A 11.0.0.0/16 "$(
	api_get '/v1/explain?name=w.gslb.example.com&client=127.0.0.1&ecs=11.0.0.0/16'
	api_jq '[.answer[].addresses[]] | join(" ")')" 11.0.0.0/16/16

step "weighted random: answers vary for one client, scope 0"
R0=$(batch wr.gslb.example.com A $(for i in $(seq 1 60); do echo 11.0.0.0/24; done))
n=$(echo "$R0" | sort -u | grep -c .)
echo "weighted random: $n distinct answers over 60 queries from one /24"
[ "$n" -ge 2 ] || fail "weighted random: one answer for 60 queries: $(echo "$R0" | sort -u)"
echo "$R0" | grep -qvxE "192\.0\.2\.10|$EU4|$AP4" && fail "weighted random: unexpected answers: $R0"
q +subnet=11.0.0.0/24 wr.gslb.example.com A
assert_ecs 11.0.0.0/24/0

step "when_all_down pools while their datacenters are up"
lb open.gslb.example.com A 81.2.69.0/24 "192.0.2.201 192.0.2.202" 81.2.69.0/24/0
lb empty.gslb.example.com A 81.2.69.0/24 "192.0.2.201" 81.2.69.0/24/0
lb fb.gslb.example.com A 81.2.69.0/24 "192.0.2.201" 81.2.69.0/24/0

step "write endpoints need the token"
api_post /v1/datacenters/eu-west/drain
assert_api_code 401
api_post /v1/datacenters/eu-west/drain wrong
assert_api_code 401
api_post /v1/datacenters/eu-west/drain t0ke
assert_api_code 401
api_post /v1/datacenters/eu-west/drain "${TOKEN}x"
assert_api_code 401
API_CMD="curl POST (Authorization: t0ken, no Bearer)"
api_request /v1/datacenters/eu-west/drain -X POST -H "Authorization: $TOKEN"
assert_api_code 401
api_get /v1/datacenters/eu-west/drain
assert_api_code 405
api_post /v1/datacenters/nowhere/drain $TOKEN
assert_api_code 404
api_post /v1/datacenters/eu-west/explode $TOKEN
assert_api_code 404
[ ! -e "$STATE" ] || fail "the state file exists though nothing was drained: $(cat "$STATE")"
lb www.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .admin' none

step "drain eu-west: it is never answered"
api_post /v1/datacenters/eu-west/drain $TOKEN
assert_api_code 200
assert_api_jq .datacenter eu-west
assert_api_jq .admin drain
assert_api_jq .persisted true
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs | head -n 1)" = 192.0.2.10 ]' 5 ||
	qfail "London still answered with eu-west after the drain"
lb www.gslb.example.com A 81.2.69.0/24 "$US4" 81.2.69.0/24/24
lb www.gslb.example.com AAAA 2001:db8:100::/56 "$US6" 2001:db8:100::/56/48
lb ov.gslb.example.com A 81.2.69.0/24 "$US4" 81.2.69.0/24/24
lb fo.gslb.example.com A 81.2.69.0/24 "$US4" 81.2.69.0/24/0
lb all.gslb.example.com A 81.2.69.0/24 "$US4 $AP4" 81.2.69.0/24/0
lb all.gslb.example.com AAAA 81.2.69.0/24 "$US6" 81.2.69.0/24/0
for name in www ov fo all w wr x.apps; do
	for type in A AAAA; do
		got=$(batch $name.gslb.example.com $type $MANY)
		if echo "$got" | grep -qxE "$EU4|$EU6"; then
			fail "drained eu-west answered for $name $type: $(echo "$got" | sort | uniq -c)"
		fi
	done
done
# Rendezvous hashing: only eu-west's clients move.
W2=$(batch w.gslb.example.com A $SUBNETS)
moved=$(paste -d' ' <(echo "$W0") <(echo "$W2") | awk -v eu="$EU4" '
	$1 != eu && $1 != $2 { bad++ }
	$1 == eu && ($2 == eu || $2 == "-") { bad++ }
	$1 == eu { moved++ }
	END { if (bad) print "bad"; else print moved + 0 }')
[ "$moved" = "$n_eu" ] || fail "weighted after the drain: clients of other datacenters moved ($moved)"

step "drain: status, state file, --explain"
api_get /v1/status
assert_api_code 200
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .state' down
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .admin' drain
assert_api_jq '.datacenters[] | select(.name == "eu-west") | has("admin_since_ms")' true
assert_api_jq '[.datacenters[] | select(.state == "up")] | length' 5
[ -s "$STATE" ] || fail "no state file $STATE after the drain"
[ "$(jq -r '.datacenters["eu-west"].admin' "$STATE")" = drain ] ||
	fail "the state file does not hold the drain: $(cat "$STATE")"
out=$($TEST_WRAPPER "$GSLBD" -c "$CONF" --explain www.gslb.example.com 127.0.0.1 --ecs 81.2.69.0/24 2>&1) ||
	fail "--explain failed: $out"
echo "$out" | grep -Eq '^ *1\. eu-west .* down .*distance=' || fail "--explain: eu-west is not down: $out"
echo "$out" | grep -qx "answer: *us-east: $US4" || fail "--explain: answer is not us-east: $out"
api_get "/v1/explain?name=www.gslb.example.com&client=127.0.0.1&ecs=81.2.69.0/24"
assert_api_jq '.candidates[] | select(.datacenter == "eu-west") | .up' false
api_post /v1/datacenters/eu-west/drain $TOKEN
assert_api_code 200

step "restart: the drain is kept"
gslbd_stop
gslbd_start "$CONF" gslbd2
api_port
wait_maps_ready
lb www.gslb.example.com A 81.2.69.0/24 "$US4" 81.2.69.0/24/24
lb fo.gslb.example.com A 198.51.100.0/24 "$US4" 198.51.100.0/24/0
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | "\(.state) \(.admin)"' "down drain"

step "undrain brings it back"
api_post /v1/datacenters/eu-west/undrain $TOKEN
assert_api_code 200
assert_api_jq .admin none
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs)" = "$EU4" ]' 5 ||
	qfail "London not back on eu-west after the undrain"
lb fo.gslb.example.com A 198.51.100.0/24 "$EU4" 198.51.100.0/24/0
lb all.gslb.example.com A - "$US4 $EU4 $AP4" -
W3=$(batch w.gslb.example.com A $SUBNETS)
[ "$W0" = "$W3" ] || fail "weighted: answers differ from before the drain after the undrain (subnet before after):
$(paste -d' ' <(echo $SUBNETS | tr ' ' '\n') <(echo "$W0") <(echo "$W3") | awk '$2 != $3')"
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | "\(.state) \(.admin)"' "up none"
[ "$(jq -r '.datacenters["eu-west"].admin // "none"' "$STATE")" = none ] ||
	fail "the state file still holds an override for eu-west: $(cat "$STATE")"

step "force-up, and a drain over it"
api_post /v1/datacenters/eu-west/force-up $TOKEN
assert_api_code 200
assert_api_jq .admin force-up
api_get /v1/status
assert_api_jq '.datacenters[] | select(.name == "eu-west") | "\(.state) \(.admin)"' "up force-up"
[ "$(jq -r '.datacenters["eu-west"].admin' "$STATE")" = force-up ] ||
	fail "the state file does not hold the force-up: $(cat "$STATE")"
lb www.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/24
api_post /v1/datacenters/eu-west/drain $TOKEN
assert_api_code 200
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs | head -n 1)" = 192.0.2.10 ]' 5 ||
	qfail "London still on eu-west after a drain over force-up"
api_post /v1/datacenters/eu-west/undrain $TOKEN
assert_api_code 200
wait_until 'q +subnet=81.2.69.0/24 www.gslb.example.com A; [ "$(answer_addrs)" = "$EU4" ]' 5 ||
	qfail "London not back on eu-west"

step "when_all_down with every datacenter of the pools drained"
api_post /v1/datacenters/spare-a/drain $TOKEN
assert_api_code 200
wait_until 'q empty.gslb.example.com A; [ "$(answer_addrs)" = 192.0.2.202 ]' 5 ||
	qfail "empty pool: not on spare-b after draining spare-a"
lb fb.gslb.example.com A 81.2.69.0/24 "192.0.2.202" 81.2.69.0/24/0
lb open.gslb.example.com A 81.2.69.0/24 "192.0.2.202" 81.2.69.0/24/0
api_post /v1/datacenters/spare-b/drain $TOKEN
assert_api_code 200
wait_until 'q empty.gslb.example.com A; [ -z "$(answer_addrs)" ]' 5 ||
	qfail "empty pool still answers with every datacenter drained"
# fail_open: answered as if all were up.
lb open.gslb.example.com A 81.2.69.0/24 "192.0.2.201 192.0.2.202" 81.2.69.0/24/0
api_get "/v1/explain?name=open.gslb.example.com&client=127.0.0.1"
assert_api_jq .failed_open true
# empty: NODATA with the SOA.
for type in A AAAA; do
	q +subnet=81.2.69.0/24 empty.gslb.example.com $type
	assert_rcode NOERROR
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA"
	assert_ecs 81.2.69.0/24/0
done
api_get "/v1/explain?name=empty.gslb.example.com&client=127.0.0.1"
assert_api_jq .empty true
assert_api_jq '.answer | length' 0
# fallback: the failover pool answers (eu-west first, then us-east).
lb fb.gslb.example.com A 81.2.69.0/24 "$EU4" 81.2.69.0/24/0
assert_answer_contains "fb.gslb.example.com. 60 IN A $EU4"
api_get "/v1/explain?name=fb.gslb.example.com&client=127.0.0.1"
assert_api_jq .pool failover
api_post /v1/datacenters/eu-west/drain $TOKEN
assert_api_code 200
wait_until 'q fb.gslb.example.com A; [ "$(echo $(answer_addrs))" = "$US4" ]' 5 ||
	qfail "fallback: not on us-east with eu-west drained too"
api_post /v1/datacenters/spare-b/undrain $TOKEN
assert_api_code 200
wait_until 'q fb.gslb.example.com A; [ "$(answer_addrs)" = 192.0.2.202 ]' 5 ||
	qfail "fallback pool still used with spare-b back"
lb empty.gslb.example.com A - "192.0.2.202" -

step "stop: the state file keeps the drains"
gslbd_stop
[ "$(jq -r '[.datacenters | to_entries[] | select(.value.admin == "drain") | .key] | sort | join(",")' "$STATE")" = eu-west,spare-a ] ||
	fail "state file after stop: $(cat "$STATE")"
echo "PASS"
