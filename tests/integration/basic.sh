#!/bin/sh
# Basic authoritative answers over UDP and TCP: data, negative answers,
# CNAME chains, wildcards, referrals, additional addresses, question case,
# REFUSED/NOTIMP, ANY, CHAOS identity, and a child zone beside its parent.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

SOA_COM='example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300'

render_config "$WORK/gslbd.conf"
gslbd_start "$WORK/gslbd.conf"

# check_basics [+tcp|+notcp]: the same assertions over one transport.
check_basics() {
	local t=$1

	step "A/AAAA with AA ($t)"
	q $t www.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_noflag tc
	assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
	assert_section_count answer 1
	q $t www.example.com AAAA
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "www.example.com. 600 IN AAAA 2001:db8::80"
	assert_section_count answer 1

	step "MX with target addresses in additional ($t)"
	q $t example.com MX
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "example.com. 3600 IN MX 10 mail.example.com."
	assert_section_contains additional "mail.example.com. 3600 IN A 192.0.2.25"
	assert_section_contains additional "mail.example.com. 3600 IN AAAA 2001:db8::25"

	step "NS with in-zone server addresses in additional ($t)"
	q $t example.com NS
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "example.com. 3600 IN NS ns1.example.com."
	assert_answer_contains "example.com. 3600 IN NS ns2.example.net."
	assert_section_count answer 2
	assert_section_contains additional "ns1.example.com. 3600 IN A 192.0.2.53"
	assert_section_contains additional "ns1.example.com. 3600 IN AAAA 2001:db8::53"

	step "TXT and SOA ($t)"
	q $t example.com TXT
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains 'example.com. 3600 IN TXT "apex"'
	q $t example.com SOA
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"
	assert_section_count answer 1

	step "NXDOMAIN with the SOA and the negative TTL ($t)"
	q $t nothere.example.com A
	assert_rcode NXDOMAIN
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"
	assert_section_count authority 1

	step "NODATA with the SOA ($t)"
	q $t www.example.com TXT
	assert_rcode NOERROR
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"

	step "CNAME chain inside the zone ($t)"
	q $t chain1.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "chain1.example.com. 3600 IN CNAME chain2.example.com."
	assert_answer_contains "chain2.example.com. 3600 IN CNAME www.example.com."
	assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
	assert_section_count answer 3
	q $t alias.example.com AAAA
	assert_rcode NOERROR
	assert_answer_contains "alias.example.com. 3600 IN CNAME www.example.com."
	assert_answer_contains "www.example.com. 600 IN AAAA 2001:db8::80"
	q $t alias.example.com CNAME
	assert_rcode NOERROR
	assert_answer_contains "alias.example.com. 3600 IN CNAME www.example.com."
	assert_section_count answer 1

	step "wildcards ($t)"
	q $t foo.wild.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "foo.wild.example.com. 3600 IN A 192.0.2.99"
	assert_section_count answer 1
	q $t a.b.wild.example.com TXT
	assert_rcode NOERROR
	assert_answer_contains 'a.b.wild.example.com. 3600 IN TXT "wild"'
	q $t foo.wild.example.com AAAA
	assert_rcode NOERROR
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"

	step "wildcard blocked by an existing name ($t)"
	q $t host.wild.example.com A
	assert_rcode NOERROR
	assert_answer_contains "host.wild.example.com. 3600 IN A 192.0.2.98"
	assert_section_count answer 1
	q $t host.wild.example.com TXT
	assert_rcode NOERROR
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"

	step "wildcard blocked by an empty non-terminal ($t)"
	q $t a.w2.example.com A
	assert_rcode NOERROR
	assert_answer_contains "a.w2.example.com. 3600 IN A 192.0.2.96"
	q $t y.w2.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"
	q $t x.y.w2.example.com A
	assert_rcode NXDOMAIN
	assert_section_count answer 0
	assert_section_contains authority "$SOA_COM"
	q $t z.y.w2.example.com A
	assert_rcode NOERROR
	assert_answer_contains "z.y.w2.example.com. 3600 IN A 192.0.2.97"

	step "referral with glue ($t)"
	q $t www.deleg.example.com A
	assert_rcode NOERROR
	assert_noflag aa
	assert_section_count answer 0
	assert_section_contains authority "deleg.example.com. 3600 IN NS ns.deleg.example.com."
	assert_section_contains authority "deleg.example.com. 3600 IN NS ns.other.example.net."
	assert_section_count authority 2
	assert_section_contains additional "ns.deleg.example.com. 3600 IN A 192.0.2.200"
	assert_section_contains additional "ns.deleg.example.com. 3600 IN AAAA 2001:db8::200"
	q $t deleg.example.com NS
	assert_rcode NOERROR
	assert_noflag aa
	assert_section_count answer 0
	assert_section_contains authority "deleg.example.com. 3600 IN NS ns.deleg.example.com."

	step "SRV target addresses in additional ($t)"
	q $t _sip._tcp.example.com SRV
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "_sip._tcp.example.com. 3600 IN SRV 0 5 5060 www.example.com."
	assert_section_contains additional "www.example.com. 600 IN A 192.0.2.80"
	assert_section_contains additional "www.example.com. 600 IN AAAA 2001:db8::80"

	step "question case preserved ($t)"
	q $t WwW.ExAmPlE.CoM A
	assert_rcode NOERROR
	assert_flag aa
	assert_section_contains question ";WwW.ExAmPlE.CoM. IN A"
	section answer | grep -qix "www.example.com. 600 IN A 192.0.2.80" ||
		qfail "answer: expected www.example.com. A 192.0.2.80 (any case)"

	step "REFUSED outside the served zones ($t)"
	q $t www.example.org A
	assert_rcode REFUSED
	assert_noflag aa
	assert_section_count answer 0
	q $t com SOA
	assert_rcode REFUSED

	step "NOTIMP for opcode STATUS ($t)"
	q $t +opcode=status example.com SOA
	assert_rcode NOTIMP

	step "child zone served beside its parent ($t)"
	q $t www.sub.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "www.sub.example.com. 1800 IN A 192.0.2.151"
	q $t sub.example.com SOA
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "sub.example.com. 1800 IN SOA ns1.sub.example.com. hostmaster.example.com. 7 7200 3600 1209600 120"
	q $t sub.example.com NS
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "sub.example.com. 1800 IN NS ns1.sub.example.com."
	q $t nothere.sub.example.com A
	assert_rcode NXDOMAIN
	assert_flag aa
	assert_section_contains authority "sub.example.com. 120 IN SOA ns1.sub.example.com. hostmaster.example.com. 7 7200 3600 1209600 120"
	q $t www.example.net A
	assert_rcode NOERROR
	assert_flag aa
	assert_answer_contains "www.example.net. 3600 IN A 198.51.100.80"

	step "CHAOS identity and version ($t)"
	q $t id.server CH TXT
	assert_rcode NOERROR
	assert_section_match answer '^id\.server\. [0-9]+ CH TXT "integ-ns1"$'
	q $t hostname.bind CH TXT
	assert_rcode NOERROR
	assert_section_match answer '^hostname\.bind\. [0-9]+ CH TXT "integ-ns1"$'
	q $t version.bind CH TXT
	assert_rcode NOERROR
	assert_section_match answer '^version\.bind\. [0-9]+ CH TXT "gslbd-integ"$'
	q $t version.server CH TXT
	assert_rcode NOERROR
	assert_section_match answer '^version\.server\. [0-9]+ CH TXT "gslbd-integ"$'
}

check_basics +notcp
check_basics +tcp

step "NOTIMP for opcode 2 (raw UDP)"
qhex=$("$DNSTEST" build example.com SOA 4242)
# Byte 2 holds QR|OPCODE(4)|AA|TC|RD: opcode 2 is 0x10.
raw_udp "${qhex:0:4}10${qhex:6}"
assert_raw_rcode $RC_NOTIMP
[ "$(raw_field id)" = 4242 ] || fail "response ID $(raw_field id), expected 4242: $RAW"
[ "$(raw_field qr)" = 1 ] || fail "QR not set: $RAW"

step "ANY over UDP: one RRset (RFC 8482)"
q +notcp example.com ANY
assert_rcode NOERROR
assert_flag aa
n=$(section answer | awk '{ print $4 }' | sort -u | grep -c .)
[ "$n" -eq 1 ] || qfail "ANY over UDP: expected one RRset type, got $n"

step "ANY over TCP: every RRset"
q +tcp example.com ANY
assert_rcode NOERROR
assert_flag aa
for t in SOA NS MX A AAAA TXT; do
	section answer | awk '{ print $4 }' | grep -qx "$t" ||
		qfail "ANY over TCP: no $t RRset in the answer"
done
assert_section_count answer 7

if [ -n "$G_UDP6" ]; then
	step "IPv6 listener"
	Q_ADDR=::1 Q_UDP=$G_UDP6 Q_TCP=$G_TCP6 q www.example.com AAAA
	assert_rcode NOERROR
	assert_answer_contains "www.example.com. 600 IN AAAA 2001:db8::80"
	Q_ADDR=::1 Q_UDP=$G_UDP6 Q_TCP=$G_TCP6 q +tcp www.example.com A
	assert_rcode NOERROR
	assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
fi

step "stop"
gslbd_stop
echo "PASS"
