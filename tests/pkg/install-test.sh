#!/bin/sh
# Install the Debian packages gslbd and gslb-probe into a fresh debootstrap
# chroot and check them: the placeholder /etc/gslbd/gslbd.conf and the
# shipped example pass gslbd --check-config, systemd-analyze verify accepts
# the installed units, the service is installed but not enabled, and
# removing the packages leaves nothing but the conffiles, purging nothing
# at all. Not part of make check: it needs root, debootstrap and the
# Debian mirror apt already uses (.ci/run may call it as its own step).
#
#   tests/pkg/install-test.sh [DIR-WITH-DEBS]
#
# Without DIR, the packages are built first with dpkg-buildpackage -us -uc
# -b from a clean export of the git HEAD. Work happens in $PKGTEST_WORK
# (default: a new folder under ${TMPDIR:-/tmp}); KEEP=1 keeps it.
# Exit status 0 pass, 1 fail.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
t_start=$(date +%s)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() {
	echo "-- $* ($(($(date +%s) - t_start))s)"
}

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap and chroot)"
for tool in debootstrap dpkg-deb chroot mount; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (Debian package ${tool%%-*})"
done

WORK=${PKGTEST_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/gslbd-pkgtest.XXXXXX")}
mkdir -p "$WORK"
ROOT=$WORK/chroot
cleanup() {
	rc=$?
	if mountpoint -q "$ROOT/proc" 2>/dev/null; then umount "$ROOT/proc" || true; fi
	if [ "$rc" = 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "work dir kept: $WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the packages ------------------------------------------------------------

if [ $# -ge 1 ]; then
	DEBS=$(cd "$1" && pwd)
else
	step "build the packages from git HEAD"
	command -v dpkg-buildpackage >/dev/null 2>&1 || fail "dpkg-buildpackage not found (Debian package dpkg-dev)"
	version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
	mkdir -p "$WORK/build/gslbd-$version"
	git -C "$top" archive HEAD | tar -x -C "$WORK/build/gslbd-$version"
	(cd "$WORK/build/gslbd-$version" && dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1) ||
		{ tail -n 40 "$WORK/build.log"; fail "dpkg-buildpackage failed (log: $WORK/build.log)"; }
	DEBS=$WORK/build
fi
GSLBD_DEB=$(ls "$DEBS"/gslbd_*.deb | tail -n 1)
PROBE_DEB=$(ls "$DEBS"/gslb-probe_*.deb | tail -n 1)
[ -f "$GSLBD_DEB" ] && [ -f "$PROBE_DEB" ] || fail "no gslbd_*.deb and gslb-probe_*.deb in $DEBS"
echo "packages: $GSLBD_DEB $PROBE_DEB"

# ---- a fresh chroot from the mirror apt uses ------------------------------------

# The first "deb" URI of the Debian archive in apt's sources (deb822 or
# one-line format), else deb.debian.org.
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }')
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
fi
mirror=${mirror:-http://deb.debian.org/debian}
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
step "debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=systemd "$suite" "$ROOT" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$WORK/debootstrap.log"; fail "debootstrap $suite $mirror failed (log: $WORK/debootstrap.log)"; }
mount -t proc proc "$ROOT/proc"
in_root() {
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

step "install the packages' dependencies from the mirror"
deps=$(for d in "$GSLBD_DEB" "$PROBE_DEB"; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/|.*//' -e 's/[[:space:]]//g' | grep -v '^\$' | sort -u)
# shellcheck disable=SC2086 # one word per package
in_root apt-get install -y -q --no-install-recommends $deps >"$WORK/deps.log" 2>&1 ||
	{ tail -n 20 "$WORK/deps.log"; fail "cannot install the dependencies: $deps"; }

# files NAME: every path in the chroot but for apt's, dpkg's and the logs.
files() {
	(cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
		-o -path ./var/log -o -path ./var/tmp \) -prune -o -print) | sort >"$WORK/files.$1"
}
files before

# ---- install -------------------------------------------------------------------

step "dpkg -i gslbd gslb-probe"
cp "$GSLBD_DEB" "$PROBE_DEB" "$ROOT/tmp/"
in_root dpkg -i "/tmp/$(basename "$GSLBD_DEB")" "/tmp/$(basename "$PROBE_DEB")" >"$WORK/dpkg-i.log" 2>&1 ||
	{ cat "$WORK/dpkg-i.log"; fail "dpkg -i failed"; }
files installed
in_root getent passwd gslbd >/dev/null || fail "no system user gslbd"
in_root getent passwd gslb-probe >/dev/null || fail "no system user gslb-probe"
for f in /lib/systemd/system/gslbd.service /lib/systemd/system/gslb-probe@.service \
	/usr/share/man/man8/gslbd.8.gz /usr/share/man/man5/gslbd.conf.5.gz \
	/usr/share/man/man8/gslb-probe.8.gz /usr/share/man/man8/gslbctl.8.gz \
	/usr/share/doc/gslbd/examples/gslbd.conf.example /usr/share/doc/gslbd/examples/test-city.mmdb \
	/usr/share/doc/gslb-probe/examples/probe.yaml.example; do
	[ -f "$ROOT$f" ] || fail "$f is not installed"
done
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' gslbd | awk 'NF { print $1 }')
echo "conffiles: $(echo $conffiles)"
echo "$conffiles" | grep -qx /etc/gslbd/gslbd.conf || fail "/etc/gslbd/gslbd.conf is not a conffile"
[ -e "$ROOT/etc/systemd/system/multi-user.target.wants/gslbd.service" ] &&
	fail "gslbd.service was enabled with the placeholder configuration"

step "gslbd --check-config: the placeholder (as root and as gslbd) and the example"
in_root gslbd --check-config || fail "the placeholder /etc/gslbd/gslbd.conf does not check"
in_root runuser -u gslbd -- gslbd --check-config -c /etc/gslbd/gslbd.conf ||
	fail "user gslbd cannot read /etc/gslbd/gslbd.conf"
# The example as installed, with the test GeoIP database beside it.
in_root gslbd --check-config -c /usr/share/doc/gslbd/examples/gslbd.conf.example ||
	fail "the example configuration does not check where it is installed"

step "systemd-analyze verify and security of the installed units"
in_root systemd-analyze verify --man=no /lib/systemd/system/gslbd.service >"$WORK/verify.log" 2>&1 ||
	{ cat "$WORK/verify.log"; fail "systemd-analyze verify gslbd.service"; }
in_root sh -c 'mkdir -p /tmp/u && ln -sf /lib/systemd/system/gslb-probe@.service /tmp/u/gslb-probe@main.service &&
	systemd-analyze verify --man=no /tmp/u/gslb-probe@main.service' >>"$WORK/verify.log" 2>&1 ||
	{ cat "$WORK/verify.log"; fail "systemd-analyze verify gslb-probe@main.service"; }
if [ -s "$WORK/verify.log" ]; then
	cat "$WORK/verify.log"
	fail "systemd-analyze verify printed warnings"
fi
for u in /lib/systemd/system/gslbd.service /tmp/u/gslb-probe@main.service; do
	in_root systemd-analyze security --offline=true "$u" 2>/dev/null | tail -n 1
done
rm -rf "$ROOT/tmp/u"

# ---- remove and purge ----------------------------------------------------------------

step "dpkg --remove: only the conffiles stay"
in_root dpkg --remove gslbd gslb-probe >"$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; fail "dpkg --remove failed"; }
files removed
# deb-systemd-helper keeps its record of the unit until purge (checked there).
left=$(comm -13 "$WORK/files.before" "$WORK/files.removed" | sed 's|^\.||' |
	grep -v '^/var/lib/systemd/deb-systemd-helper-[a-z]*\(/\|$\)' || true)
expected=$( (echo /etc/gslbd; echo "$conffiles") | sort)
[ "$(echo "$left" | sort)" = "$expected" ] ||
	fail "after removal, expected only the conffiles; left: $(echo $left)"
echo "left after removal: $(echo $left)"

step "dpkg --purge: nothing stays"
in_root dpkg --purge gslbd gslb-probe >"$WORK/dpkg-p.log" 2>&1 || { cat "$WORK/dpkg-p.log"; fail "dpkg --purge failed"; }
files purged
left=$(comm -13 "$WORK/files.before" "$WORK/files.purged")
[ -z "$left" ] || fail "after purge, left: $(echo $left)"
gone=$(comm -23 "$WORK/files.before" "$WORK/files.purged")
[ -z "$gone" ] || fail "the packages took away files that were there before: $(echo $gone)"

echo "PASS: packages install, verify, remove and purge cleanly ($(($(date +%s) - t_start))s)"
