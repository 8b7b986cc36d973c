#!/bin/sh
# gslbd as a secondary of BIND 9 (named on loopback): AXFR at start under a
# TSIG key, then a change on BIND (ixfr-from-differences, reloaded by
# SIGHUP) reaches gslbd by NOTIFY and IXFR; the time from BIND's reload to
# gslbd's new answer is printed.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

NAMED=${NAMED:-$(command -v named || echo /usr/sbin/named)}
[ -x "$NAMED" ] || fail "named not found (Debian package bind9)"

BDIR=$WORK/bind
mkdir -p "$BDIR" "$WORK/storage"
BPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for named"
GPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for gslbd"
SECRET=$(head -c 32 /dev/urandom | base64)

# zone SERIAL [EXTRA]: BIND's zone file.
zone() {
	{
		printf '$ORIGIN bind.test.\n$TTL 300\n'
		printf '@ SOA ns hostmaster %s 60 10 3600 60\n@ NS ns\nns A 192.0.2.1\n' "$1"
		printf 'www A 192.0.2.10\n'
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$BDIR/bind.test.zone.new"
	mv "$BDIR/bind.test.zone.new" "$BDIR/bind.test.zone"
}
zone 1
cat >"$BDIR/named.conf" <<CONF
key "xfr-key" { algorithm hmac-sha256; secret "$SECRET"; };
options {
	directory "$BDIR";
	pid-file "$BDIR/named.pid";
	listen-on port $BPORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	notify explicit;
	also-notify { 127.0.0.1 port $GPORT key "xfr-key"; };
	allow-transfer { key "xfr-key"; };
	ixfr-from-differences yes;
	notify-delay 0;
	dnssec-validation no;
};
controls { };
zone "bind.test" { type primary; file "$BDIR/bind.test.zone"; };
CONF
primary_start "$WORK/named.log" named "$BPORT" bind.test 15 "$NAMED" -g -c "$BDIR/named.conf" -u root
NAMED_PID=$PRIMARY_PID

{
	secondary_conf_head storage
	cat <<CONF
api:
  listen: ["127.0.0.1:0"]
keys:
  - name: xfr-key
    algorithm: hmac-sha256
    secret: "$SECRET"
zones:
  - name: bind.test
    primaries: [{address: "127.0.0.1:$BPORT", key: xfr-key}]
CONF
} >"$WORK/gslbd.conf"

step "start gslbd: the zone comes from BIND by AXFR"
gslbd_start "$WORK/gslbd.conf"
answers() {
	q "$1" A
	[ "$(got_rcode)" = NOERROR ] && section answer | grep -q "A[[:space:]]*$2\$"
}
wait_until 'answers www.bind.test 192.0.2.10' 10 || qfail "the zone was not transferred from BIND"
log_wait 'xfr: zone bind.test: serial 1 by axfr' 2

step "a change on BIND: NOTIFY, then IXFR"
zone 2 'new A 192.0.2.99'
t0=$(now_ms)
kill -HUP "$NAMED_PID"
wait_until 'answers new.bind.test 192.0.2.99' 15 || qfail "the change did not reach gslbd"
echo "BIND reloaded -> gslbd answers the change: $(($(now_ms) - t0)) ms"
log_wait 'xfr: zone bind.test: NOTIFY' 2
log_wait 'xfr: zone bind.test: serial 2 by ixfr from' 2

gslbd_stop
primary_stop "$NAMED_PID" named
echo PASS
