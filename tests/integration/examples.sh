#!/bin/sh
# The example configuration as packages install it (zones/install-examples.sh,
# /usr/share/doc/gslbd/examples): gslbd --check-config accepts it there, and
# the database it names is the copy beside it.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

step "install the examples into a folder of their own"
EX=$WORK/examples
sh "$top_srcdir/zones/install-examples.sh" "$top_srcdir" "$EX" || fail "install-examples.sh failed"
for f in gslbd.conf.example example.com.zone gslb.example.com.zone test-city.mmdb \
	demo/probe-us.key demo/probe-eu.key demo/probe-ap.key; do
	[ -f "$EX/$f" ] || fail "$f is not installed"
done

step "gslbd --check-config accepts the example where it is installed"
# From another folder: relative paths resolve against the config's folder.
OUT=$(cd / && "$GSLBD" --check-config -c "$EX/gslbd.conf.example" 2>&1) ||
	fail "the installed example does not check: $OUT"

step "it uses the database beside it"
rm "$EX/test-city.mmdb"
OUT=$(cd / && "$GSLBD" --check-config -c "$EX/gslbd.conf.example" 2>&1) &&
	fail "the installed example checks without its test-city.mmdb: $OUT"
echo "$OUT" | grep -q "$EX/test-city.mmdb" || fail "the error does not name the copy beside the config: $OUT"
echo "PASS"
