#!/bin/sh
# Tenants of the HTTP API: tokens scoped to pools and datacenters. Every
# endpoint is tried with no token, the admin token, a token of tenant A, of
# tenant B and a read-only one: A sees and steers only its own, B's
# datacenters are refused 403 (logged, without the token), reads want a
# token once tokens are configured, a token over its rate gets 429, and no
# token ever reaches the log.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

TOK_A=tenant-a-token-0123456789
TOK_B=tenant-b-token-0123456789
TOK_R=tenant-r-token-0123456789
ADMIN=t0ken

CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
printf '%s\n' "$TOK_B" >"$WORK/b.token"
cat >>"$CONF" <<EOF
tokens:
  - name: team-a
    token: $TOK_A
    pools: [cname]
    shared: [us-east]
    access: write
    rate: 1000
  - name: team-b
    token_file: b.token
    pools: [spare-open]
    shared: [spare-a, spare-b]
    access: write
    rate: 1000
  - name: watcher
    token: $TOK_R
    pools: [web]
    rate: 3
EOF
step "a write token over a datacenter that another's pool uses needs 'shared'"
sed '/^    shared: \[us-east\]$/d' "$CONF" >"$WORK/unshared.conf"
if "$GSLBD" --check-config -c "$WORK/unshared.conf" >"$WORK/check.out" 2>&1; then
	fail "--check-config accepts team-a writing us-east unshared"
fi
grep -q "tokens\[0\].access: write access to datacenter 'us-east', which pool '[a-z-]*' (not this token's) also uses: list it under 'shared'" "$WORK/check.out" ||
	fail "--check-config says: $(cat "$WORK/check.out")"
gslbd_start "$CONF"
api_port

# call METHOD PATH TOKEN: one request; status in CODE, body in BODY.
call() {
	local out=$WORK/call.out auth=()
	[ -n "$3" ] && auth=(-H "Authorization: Bearer $3")
	CODE=$(curl -s -o "$out" -w '%{http_code}' --max-time $((5 * TF)) -X "$1" "${auth[@]}" \
		"http://127.0.0.1:$G_HTTP$2")
	BODY=$(cat "$out")
}
expect() { # expect CODE WHAT
	[ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, expected $1: $BODY"
}
dcs_of() { echo "$BODY" | jq -r '[.datacenters[].name] | sort | join(",")'; }

step "without a token: reads refused, health open"
for p in /v1/status /metrics "/v1/explain?name=www.gslb.example.com&client=192.0.2.1"; do
	call GET "$p" ""
	expect 401 "GET $p without a token"
done
call GET /v1/status "not-a-token-of-anyone-0123"
expect 401 "GET /v1/status with an unknown token"
call GET /healthz ""
expect 200 "GET /healthz"

step "the admin token sees everything"
call GET /v1/status "$ADMIN"
expect 200 "admin status"
[ "$(dcs_of)" = "ap-southeast,edge,eu-west,spare-a,spare-b,us-east" ] || fail "admin sees $(dcs_of)"

step "tenant A sees its pool's datacenters and names, no zones"
call GET /v1/status "$TOK_A"
expect 200 "A's status"
[ "$(dcs_of)" = "edge,us-east" ] || fail "A sees $(dcs_of)"
[ "$(echo "$BODY" | jq -r '[.names[].pool] | unique | join(",")')" = cname ] ||
	fail "A sees the names $(echo "$BODY" | jq -c .names)"
[ "$(echo "$BODY" | jq -r 'has("zones")')" = false ] || fail "A sees the zones"
call GET /v1/status "$TOK_B"
[ "$(dcs_of)" = "spare-a,spare-b" ] || fail "B sees $(dcs_of)"

step "tenant A's metrics hold its datacenters' series alone"
call GET /metrics "$TOK_A"
expect 200 "A's metrics"
others=$(echo "$BODY" | grep -v '^#' | grep -v -E 'datacenter="(edge|us-east)"|pool="cname"' || true)
[ -z "$others" ] || fail "A's metrics show: $(echo "$others" | head -n 3)"
# us-east is A's, pool web is not: a sample with both is not A's.
others=$(echo "$BODY" | grep -E 'pool="[^"]*"' | grep -v 'pool="cname"' || true)
[ -z "$others" ] || fail "A's metrics show: $(echo "$others" | head -n 3)"
echo "$BODY" | grep -q '^gslbd_datacenter_up{datacenter="edge"} 1' || fail "A's metrics lack edge"
echo "$BODY" | grep -q 'gslbd_dns_queries_total' && fail "A's metrics show the server's queries"

step "explain: A's names yes; another's and an unknown one answer alike"
call GET "/v1/explain?name=cdn.gslb.example.com&client=192.0.2.1" "$TOK_A"
expect 200 "A explains its own name"
call GET "/v1/explain?name=www.gslb.example.com&client=192.0.2.1" "$TOK_A"
expect 404 "A explains another's name"
other=$BODY
call GET "/v1/explain?name=nothing-here.gslb.example.com&client=192.0.2.1" "$TOK_A"
expect 404 "A explains a name nobody has"
[ "$BODY" = "$other" ] || fail "another's name and an unknown one answer differently: '$other' / '$BODY'"
call GET "/v1/explain?name=www.gslb.example.com&client=not-an-ip" "$TOK_A"
expect 404 "A explains another's name with a bad client"
[ "$BODY" = "$other" ] || fail "another's name with a bad client tells more: '$BODY'"

step "A cannot drain B's datacenter (every action), can drain its own"
for action in drain undrain force-up; do
	call POST "/v1/datacenters/spare-a/$action" "$TOK_A"
	expect 403 "A $action spare-a"
done
log_wait 'api: write refused: .* tenant=team-a datacenter=spare-a reason=not one of its datacenters' 5
call POST /v1/datacenters/nowhere/drain "$TOK_A"
expect 403 "A drains an unknown datacenter"
call POST /v1/datacenters/edge/drain "$TOK_A"
expect 200 "A drains edge"
call GET /v1/status "$ADMIN"
[ "$(echo "$BODY" | jq -r '.datacenters[] | select(.name == "edge") | .admin')" = drain ] ||
	fail "edge is not drained: $BODY"
call POST /v1/datacenters/edge/undrain "$TOK_A"
expect 200 "A undrains edge"
call POST /v1/reload "$TOK_A"
expect 403 "A reloads"

step "history: A sees its datacenters and the events about them, B not A's"
call GET /v1/history ""
expect 401 "GET /v1/history without a token"
call GET /v1/history "$ADMIN"
expect 200 "admin history"
[ "$(dcs_of)" = "ap-southeast,edge,eu-west,spare-a,spare-b,us-east" ] || fail "admin's history has $(dcs_of)"
call GET /v1/history "$TOK_A"
expect 200 "A's history"
[ "$(dcs_of)" = "edge,us-east" ] || fail "A's history has $(dcs_of)"
[ "$(echo "$BODY" | jq -r '[.events[] | select(.datacenter == "edge") | .event] | join(",")')" = \
	drained,down,undrained,up ] || fail "A's history of edge: $(echo "$BODY" | jq -c .events)"
[ "$(echo "$BODY" | jq -r '[.events[] | .datacenter // .pool] | unique | join(",")')" = edge ] ||
	fail "A's history shows events of others: $(echo "$BODY" | jq -c .events)"
call GET /v1/history "$TOK_B"
[ "$(dcs_of)" = "spare-a,spare-b" ] || fail "B's history has $(dcs_of)"
[ "$(echo "$BODY" | jq '.events | length')" = 0 ] || fail "B's history shows $(echo "$BODY" | jq -c .events)"

step "a read-only token cannot steer, even its own"
call POST /v1/datacenters/us-east/drain "$TOK_R"
expect 403 "the watcher drains us-east"
log_wait 'tenant=watcher datacenter=us-east reason=read-only token' 5

step "a token over its rate gets 429"
codes=
for i in 1 2 3 4 5 6; do
	call GET /v1/status "$TOK_R"
	codes="$codes $CODE"
done
case $codes in
*429*) ;;
*) fail "six quick requests of a 3/s token: $codes" ;;
esac
call GET /v1/status "$TOK_A"
expect 200 "A, while the watcher is over its rate"

step "no token was logged"
for tok in "$TOK_A" "$TOK_B" "$TOK_R" "$ADMIN"; do
	if grep -qF -- "$tok" "$G_LOG"; then
		fail "a token is in the log"
	fi
done

gslbd_stop
echo PASS
