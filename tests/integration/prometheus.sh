#!/bin/sh
# dist/ against a real Prometheus (Debian package prometheus): three
# backends, three gslb-probe processes and gslbd (its zone signed in
# memory, so that the DNSSEC series exist) on loopback; a Prometheus of the
# test's own (own config and storage, any free port, 1 s scrapes and rule
# evaluations, the rules of dist/prometheus/gslbd-rules.yml loaded) scrapes
# gslbd's /metrics. Traffic with dig, a drain through the admin API and a
# backend killed (a health change seen by every probe) give the series
# something to show; then every query of dist/grafana/gslbd.json (every
# panel target and annotation, template variables resolved through their
# own label_values queries, for each pool alone and for all) must return
# data through /api/v1/query, every rule must evaluate without error, and
# the drain and the health change must be what Prometheus saw.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

# CI installs Prometheus (.ci/install-deps): a missing one is a failure.
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
[ -n "$PROMETHEUS" ] || fail "prometheus not found: install the Debian package prometheus"
command -v promtool >/dev/null 2>&1 || fail "promtool not found: install the Debian package prometheus"
command -v python3 >/dev/null 2>&1 || fail "python3 not found: install the Debian package python3"
command -v ldns-keygen >/dev/null 2>&1 || fail "ldns-keygen not found: install the Debian package ldnsutils"
command -v ss >/dev/null 2>&1 || fail "ss not found: install the Debian package iproute2"
DASH=$top_srcdir/dist/grafana/gslbd.json
RULES=$top_srcdir/dist/prometheus/gslbd-rules.yml

# prom_query EXPR: the result array of an instant query (JSON) on stdout.
prom_query() {
	curl -s --max-time $((5 * TF)) --get --data-urlencode "query=$1" \
		"http://127.0.0.1:$P_PORT/api/v1/query" | jq -c '.data.result'
}

# prom_has EXPR: the instant query returns at least one sample.
prom_has() {
	[ "$(prom_query "$1" | jq 'length' 2>/dev/null)" -gt 0 ] 2>/dev/null
}

# dns_traffic: queries of both load-balanced names from clients near each
# probe region (ECS), so that every datacenter and pool is answered.
dns_traffic() {
	local net
	for net in 3.0.0.0/24 81.0.0.0/24 1.0.0.0/24 127.0.0.1/32; do
		q www.gslb.example.net A +subnet=$net
		assert_rcode NOERROR
		q fo.gslb.example.net A +subnet=$net
		assert_rcode NOERROR
	done
}

step "start three backends, gslbd (zone signed in memory) and three probes"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
CONF=$WORK/gslbd.conf
render_probe_config "$CONF"
KSK=$(dnssec_keygen -k gslb.example.net)
awk -v key="keys/$KSK" '{ print } /^    file: gslb.example.net.zone$/ {
	print "    dnssec:"; print "      keys:"; print "        - " key }' "$CONF" >"$CONF.new" &&
	mv "$CONF.new" "$CONF" || fail "cannot add dnssec to $CONF"
gslbd_start "$CONF"
api_port
URL=http://127.0.0.1:$G_HTTP
for id in $PROBE_IDS; do
	probe_start $id "$URL"
done
wait_until all_dcs_up 10 || api_fail "the datacenters are not all up with three fresh probes"
promtool check metrics <<EOF_METRICS >"$WORK/lint.out" 2>&1 || { cat "$WORK/lint.out"; fail "promtool check metrics finds /metrics malformed"; }
$(curl -s --max-time $((5 * TF)) "$URL/metrics")
EOF_METRICS

step "start Prometheus: its own config and storage, any free port, 1s scrapes"
cat >"$WORK/prometheus.yml" <<EOF_PROM
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: gslbd
    static_configs:
      - targets: ['127.0.0.1:$G_HTTP']
EOF_PROM
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom-data" \
	--web.listen-address=127.0.0.1:0 --log.level=info >"$WORK/prometheus.log" 2>&1 &
P_PID=$!
BG_PIDS="$BG_PIDS $P_PID"
# The port the kernel gave it, from its listening socket.
prom_port() {
	P_PORT=$(ss -Hltnp 2>/dev/null | awk -v pid="pid=$P_PID," '
		index($0, pid) { n = split($4, a, ":"); print a[n]; exit }')
	[ -n "$P_PORT" ]
}
wait_until prom_port 20 || fail "Prometheus does not listen: $(tail -n 5 "$WORK/prometheus.log")"
wait_until "curl -sf --max-time 2 http://127.0.0.1:\$P_PORT/-/ready >/dev/null" 30 ||
	fail "Prometheus is not ready: $(tail -n 5 "$WORK/prometheus.log")"
wait_until 'prom_has "up{job=\"gslbd\"} == 1"' 20 || fail "Prometheus does not scrape gslbd"

step "DNS traffic, then a drain of eu-west and ap-southeast's backend killed"
dns_traffic
wait_until 'prom_has "gslbd_datacenter_answers_total{datacenter=\"eu-west\"} > 0"' 20 ||
	fail "Prometheus did not see eu-west answered"
api_post /v1/datacenters/eu-west/drain "$PROBE_TOKEN"
assert_api_code 200
kill -TERM "${BACKEND_PID[ap-southeast]}"
wait_until 'api_get /v1/status; [ "$(dc_field ap-southeast .health)" = down ]' 10 ||
	api_fail "ap-southeast is not down with its backend killed"
dns_traffic

step "Prometheus saw the drain and the health change"
wait_until 'prom_has "gslbd_datacenter_admin_state{datacenter=\"eu-west\",state=\"drain\"} == 1"' 20 ||
	fail "Prometheus did not see the drain of eu-west"
wait_until 'prom_has "changes(gslbd_datacenter_up{datacenter=\"eu-west\"}[5m]) > 0"' 20 ||
	fail "Prometheus did not see eu-west leave the answers"
wait_until 'prom_has "count(gslbd_probe_datacenter_up{datacenter=\"ap-southeast\"} == 0) == 3"' 20 ||
	fail "Prometheus did not see every probe find ap-southeast down"
wait_until 'prom_has "changes(gslbd_probe_datacenter_up{datacenter=\"ap-southeast\"}[5m]) > 0"' 20 ||
	fail "Prometheus has no history of ap-southeast going down"
wait_until 'prom_has "gslbd_datacenter_up{datacenter=\"us-east\"} == 1"' 5 ||
	fail "us-east should be up in Prometheus"

step "every dashboard query returns data"
python3 "$top_srcdir/tests/prometheus/dashboard.py" query "$DASH" "http://127.0.0.1:$P_PORT" \
	--deadline $((60 * TF)) --rate-interval 15s || fail "dashboard queries without data"

step "every rule of dist/prometheus evaluates without error"
rules_ok() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$P_PORT/api/v1/rules" >"$WORK/rules.json" &&
		jq -e '[.data.groups[].rules[]] | length > 0 and all(.health == "ok")' \
			"$WORK/rules.json" >/dev/null
}
wait_until rules_ok 20 || {
	jq -c '.data.groups[].rules[] | select(.health != "ok") | {name, health, lastError}' "$WORK/rules.json"
	fail "rules that do not evaluate"
}
n=$(jq '[.data.groups[].rules[]] | length' "$WORK/rules.json")
[ "$n" -eq "$(grep -Ec '^ *- (alert|record):' "$RULES")" ] || fail "Prometheus loaded $n rules"
# The recording rules give the answer share of the datacenters answered.
wait_until 'prom_has "gslbd:datacenter_answer_share:ratio1m{datacenter=\"us-east\"} > 0"' 20 ||
	fail "no answer share recorded for us-east"

step "stop"
kill -TERM "$P_PID"
wait_exit "$P_PID" $((20 * TF)) || fail "Prometheus still running after SIGTERM"
bg_forget "$P_PID"
for id in $PROBE_IDS; do
	probe_stop $id
done
gslbd_stop
echo "PASS"
