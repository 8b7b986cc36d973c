#!/bin/sh
# The Prometheus rules and the Grafana dashboard of dist/, checked with
# promtool (Debian package prometheus): the rules parse, every alert has a
# unit test in tests/prometheus/gslbd-rules.test.yml and those tests pass,
# every dashboard query parses, and every gslbd_ metric the rules and the
# dashboard name is one gslbd exports (its name is in gslbd's sources).
# tests/integration/prometheus.sh runs them against a live gslbd.
set -u
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:?top_builddir must be set (run through make check)}"

fail() {
	echo "FAIL: $*"
	exit 1
}

# CI installs promtool (.ci/install-deps): a missing one is a failure.
command -v promtool >/dev/null 2>&1 || fail "promtool not found: install the Debian package prometheus"
command -v python3 >/dev/null 2>&1 || fail "python3 not found: install the Debian package python3"

RULES=$top_srcdir/dist/prometheus/gslbd-rules.yml
TESTS_YML=$top_srcdir/tests/prometheus/gslbd-rules.test.yml
DASH=$top_srcdir/dist/grafana/gslbd.json
WORK=$top_builddir/tests/prometheus/tmp.$$
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

promtool check rules "$RULES" || fail "promtool check rules $RULES"

# Every alert has a test (alertname: X in the test file), and back.
sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$RULES" | sort -u >"$WORK/alerts"
sed -n 's/^ *- alertname: *\([A-Za-z0-9_]*\).*/\1/p' "$TESTS_YML" | sort -u >"$WORK/tested"
[ -s "$WORK/alerts" ] || fail "no alert found in $RULES"
untested=$(comm -23 "$WORK/alerts" "$WORK/tested")
[ -z "$untested" ] || fail "alerts without a unit test: $untested"
unknown=$(comm -13 "$WORK/alerts" "$WORK/tested")
[ -z "$unknown" ] || fail "tests of alerts that do not exist: $unknown"
# promtool resolves rule_files from the test file's directory: run it on a
# copy beside a copy of the rules, so that a VPATH build finds them.
mkdir -p "$WORK/t/tests/prometheus" "$WORK/t/dist/prometheus"
cp "$RULES" "$WORK/t/dist/prometheus/" && cp "$TESTS_YML" "$WORK/t/tests/prometheus/" ||
	fail "cannot copy the rules and their tests"
(cd "$WORK/t/tests/prometheus" && promtool test rules gslbd-rules.test.yml) ||
	fail "promtool test rules $TESTS_YML"

# The dashboard: its queries parse, and use only metrics gslbd has.
python3 "$top_srcdir/tests/prometheus/dashboard.py" rules "$DASH" "$WORK/dash-rules.yml" \
	>"$WORK/dash-metrics" || fail "cannot read the queries of $DASH"
promtool check rules "$WORK/dash-rules.yml" || fail "a query of $DASH does not parse"
grep -o 'gslbd_[a-z0-9_]*' "$RULES" | grep -v '^gslbd_$' >>"$WORK/dash-metrics"
for m in $(sort -u "$WORK/dash-metrics"); do
	grep -rqsw --include='*.c' "$m" "$top_srcdir/gslbd" ||
		fail "$m is named in dist/ but gslbd does not export it"
done
echo "rules: $(wc -l <"$WORK/alerts") alerts tested, $(sort -u "$WORK/dash-metrics" | wc -l) metrics checked"
echo "PASS"
