#!/bin/sh
# Install the example configuration where it works as installed: the
# config, its zones, the demo probe keys and the small test GeoIP database
# side by side in DEST, the database path rewritten to the copy beside the
# config. debian/rules installs /usr/share/doc/gslbd/examples with it, and
# tests/integration/examples.sh checks the result with gslbd --check-config.
#
#   sh zones/install-examples.sh SRCDIR DEST
set -eu
[ $# -eq 2 ] || { echo "usage: install-examples.sh SRCDIR DEST" >&2; exit 2; }
src=$1
dest=$2
mkdir -p "$dest/demo"
for f in gslbd.conf.example example.com.zone gslb.example.com.zone; do
	cp "$src/zones/$f" "$dest/$f"
	chmod 644 "$dest/$f"
done
for p in us eu ap; do
	cp "$src/zones/demo/probe-$p.key" "$dest/demo/probe-$p.key"
	chmod 644 "$dest/demo/probe-$p.key"
done
cp "$src/tests/data/geo/test-city.mmdb" "$dest/test-city.mmdb"
chmod 644 "$dest/test-city.mmdb"
sed 's|^\(  database: \)\.\./tests/data/geo/test-city\.mmdb$|\1test-city.mmdb|' \
	"$src/zones/gslbd.conf.example" >"$dest/gslbd.conf.example"
grep -q '^  database: test-city\.mmdb$' "$dest/gslbd.conf.example" || {
	echo "install-examples.sh: no geoip.database line to rewrite in gslbd.conf.example" >&2
	exit 1
}
