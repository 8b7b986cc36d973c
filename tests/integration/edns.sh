#!/bin/sh
# EDNS (RFC 6891) and Client Subnet (RFC 7871): OPT echoed, UDP size limits
# and truncation, BADVERS, unknown options ignored, ECS echoed with scope 0,
# malformed ECS rejected with FORMERR.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

render_config "$WORK/gslbd.conf"
gslbd_start "$WORK/gslbd.conf"

step "OPT echoed with our UDP size"
q www.example.com A
assert_rcode NOERROR
assert_opt_contains "; EDNS: version: 0, flags:; udp: 1232"
assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"

step "no EDNS in, no OPT out"
q +noedns www.example.com A
assert_rcode NOERROR
assert_out_lacks "OPT PSEUDOSECTION"
assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"

step "an RRset of about 800 bytes fits in dig's default 1232"
q +notcp big.example.com TXT
assert_rcode NOERROR
assert_noflag tc
assert_section_count answer 10

step "bufsize 512: TC=1 over UDP"
q +notcp +ignore +bufsize=512 big.example.com TXT
assert_rcode NOERROR
assert_flag tc
[ "$(section answer | grep -c .)" -lt 10 ] || qfail "truncated answer holds all 10 records"
assert_opt_contains "; EDNS: version: 0"

step "no EDNS: the 512-byte limit, TC=1"
q +notcp +ignore +noedns big.example.com TXT
assert_rcode NOERROR
assert_flag tc
assert_out_lacks "OPT PSEUDOSECTION"
size=$(echo "$OUT" | sed -n 's/^;; MSG SIZE  rcvd: //p')
[ "${size:-99999}" -le 512 ] || qfail "response of $size bytes without EDNS"

step "full answer over TCP"
q +tcp +bufsize=512 big.example.com TXT
assert_rcode NOERROR
assert_noflag tc
assert_section_count answer 10
assert_answer_contains 'big.example.com. 3600 IN TXT "big-record-09-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'

step "advertised size capped by udp_max_size (1232)"
q +notcp +ignore +bufsize=4096 huge.example.com TXT
assert_rcode NOERROR
assert_flag tc
assert_opt_contains "udp: 1232"
size=$(echo "$OUT" | sed -n 's/^;; MSG SIZE  rcvd: //p')
[ "${size:-99999}" -le 1232 ] || qfail "UDP response of $size bytes, above udp_max_size"
q +tcp huge.example.com TXT
assert_rcode NOERROR
assert_noflag tc
assert_section_count answer 20

step "EDNS version 1: BADVERS"
q +edns=1 +noednsnegotiation www.example.com A
assert_rcode BADVERS
assert_section_count answer 0
assert_opt_contains "; EDNS: version: 0"

step "unknown EDNS option ignored"
q +ednsopt=65001:abcd www.example.com A
assert_rcode NOERROR
assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
assert_opt_lacks "OPT=65001"

step "ECS echoed with scope 0"
q +subnet=192.0.2.0/24 www.example.com A
assert_rcode NOERROR
assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
assert_opt_contains "; CLIENT-SUBNET: 192.0.2.0/24/0"
q +subnet=2001:db8:1200::/40 www.example.com AAAA
assert_rcode NOERROR
assert_answer_contains "www.example.com. 600 IN AAAA 2001:db8::80"
assert_opt_contains "; CLIENT-SUBNET: 2001:db8:1200::/40/0"
q +tcp +subnet=198.51.100.0/24 www.example.com A
assert_rcode NOERROR
assert_opt_contains "; CLIENT-SUBNET: 198.51.100.0/24/0"

# opt_query OPTHEX: a query for www.example.com A whose OPT record carries
# one option OPTHEX (code, length, data). Bytes: header (ID 0x1234, ARCOUNT
# 1) | question | OPT: owner ".", type 41, size 1024, TTL 0 (version 0) |
# RDLENGTH | option.
Q_HDR=12340000000100000000000103777777076578616d706c6503636f6d0000010001
opt_query() {
	printf '%s000029040000000000%04x%s\n' "$Q_HDR" "$((${#1} / 2))" "$1"
}

step "valid ECS in a raw query (control)"
raw_udp "$(opt_query 0008000700011800c00002)"
assert_raw_rcode $RC_NOERROR
[ "$(raw_field an)" = 1 ] || fail "expected one answer: $RAW"

step "ECS source prefix 33 for IPv4: FORMERR"
raw_udp "$(opt_query 0008000900012100c000020100)"
assert_raw_rcode $RC_FORMERR

step "ECS address longer than the prefix needs: FORMERR"
raw_udp "$(opt_query 0008000800011800c0000200)"
assert_raw_rcode $RC_FORMERR

step "ECS address bits set beyond the prefix: FORMERR"
raw_udp "$(opt_query 0008000700011700c00003)"
assert_raw_rcode $RC_FORMERR

step "ECS unknown family: FORMERR"
raw_udp "$(opt_query 0008000700031800c00002)"
assert_raw_rcode $RC_FORMERR

step "ECS option too short: FORMERR"
raw_udp "$(opt_query 000800020001)"
assert_raw_rcode $RC_FORMERR

step "still answering"
assert_www_ok

step "stop"
gslbd_stop
echo "PASS"
