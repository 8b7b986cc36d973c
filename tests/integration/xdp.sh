#!/bin/sh
# The AF_XDP path (server.xdp) on a veth pair between two network
# namespaces made here: gslbd in one with the XDP program on its end of the
# pair, dig and raw frames (xdpframes.py) from the other. Answers through
# XDP equal those of a gslbd on sockets on the same veth for the
# differential queries (tests/data/integ/diff-queries.txt, UDP ones, IPv4
# and IPv6) and for ECS geo answers, and the kernel's UDP counters show
# that XDP, not a socket, answered; cookies and rate limiting under a
# spoofed-source flood count at /metrics as over sockets; ARP, ping and TCP
# to the same address work; malformed frames are dropped and what the
# kernel must handle (IPv4 options, fragments, IPv6 extension headers)
# still reaches its sockets; answers are truncated (TC=1) to what the MTU
# leaves room for; a reload keeps the path and stopping detaches the
# program. Without CAP_NET_ADMIN gslbd answers over sockets and says so
# in the log and in gslbd_dns_path.
#
# Needs root (network namespaces, AF_PACKET): skipped without it, failed
# with CI=true.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

# cannot REASON: skip, or fail under CI.
cannot() {
	if [ "${CI:-}" = true ]; then
		fail "$*"
	fi
	skip "$*"
}

[ "$(id -u)" -eq 0 ] || cannot "needs root for network namespaces and AF_PACKET"
for t in ip python3 curl setpriv ping; do
	command -v $t >/dev/null 2>&1 ||
		fail "$t not found (Debian packages iproute2, python3, curl, util-linux, iputils-ping)"
done
FRAMES=$top_srcdir/tests/integration/xdpframes.py

SNS=gslbd-xs-$$
CNS=gslbd-xc-$$
SIF=gxs$$
CIF=gxc$$
S4=10.53.0.1
C4=10.53.0.2
S6=fd53::1
C6=fd53::2
XPORT=53   # gslbd on XDP
SPORT=5353 # gslbd on sockets, the reference

netns_cleanup() {
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
}
trap 'rc=$?; [ -n "${X_SOCK_PID:-}" ] && kill "$X_SOCK_PID" 2>/dev/null; [ -n "$G_PID" ] && { kill -TERM "$G_PID" 2>/dev/null; wait "$G_PID" 2>/dev/null; G_PID=; }; netns_cleanup; (exit $rc); on_exit' EXIT

in_s() { ip netns exec "$SNS" "$@"; }
in_c() { ip netns exec "$CNS" "$@"; }

step "two namespaces joined by a veth pair"
ip netns add "$SNS" 2>/dev/null || cannot "cannot make a network namespace"
ip netns add "$CNS" || fail "cannot make a network namespace"
ip link add "$SIF" netns "$SNS" type veth peer name "$CIF" netns "$CNS" ||
	cannot "cannot make a veth pair"
in_s ip link set lo up && in_c ip link set lo up &&
	in_s ip addr add "$S4/16" dev "$SIF" && in_c ip addr add "$C4/16" dev "$CIF" &&
	in_s ip addr add "$S6/64" dev "$SIF" nodad && in_c ip addr add "$C6/64" dev "$CIF" nodad &&
	in_s ip link set "$SIF" up && in_c ip link set "$CIF" up || fail "cannot set up the veth pair"
SMAC=$(in_s cat "/sys/class/net/$SIF/address")
wait_until 'in_c ping -c 1 -W 1 $S4 >/dev/null 2>&1' 5 || fail "no ping over the veth pair"

# xconf BASE OUT PORT xdp|socket: BASE (a rendered config) listening on
# the server's addresses at PORT, with server.xdp on the veth or without.
xconf() {
	awk -v port="$3" -v xdp="$4" -v ifn="$SIF" -v s4="$S4" -v s6="$S6" '
		/^    - 127\.0\.0\.1:0$/ || /^    - "\[::1\]:0"$/ { next }
		/^server:$/ { print; if (xdp == "xdp") print "  xdp: [" ifn "]"; next }
		/^  listen:$/ { print; print "    - " s4 ":" port; print "    - \"[" s6 "]:" port "\""; next }
		{ print }' "$1" >"$2" || fail "cannot write $2"
}

# xstart CONF NAME [COMMAND...]: start gslbd in the server namespace
# (through COMMAND, e.g. setpriv) and wait until it is ready; sets X_PID,
# X_LOG and X_HTTP (its API port, on the namespace's loopback).
xstart() {
	local conf=$1 name=$2 deadline
	shift 2
	X_LOG=$WORK/$name.log
	: >"$X_LOG"
	rm -f "$WORK/$name.ports"
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	ip netns exec "$SNS" "$@" $TEST_WRAPPER "$GSLBD" -c "$conf" --port-file "$WORK/$name.ports" \
		>>"$X_LOG" 2>&1 &
	X_PID=$!
	deadline=$(($(now_ms) + 10000 * TF))
	until grep -q 'ready:' "$X_LOG"; do
		kill -0 "$X_PID" 2>/dev/null && ! proc_is_zombie "$X_PID" ||
			{ G_LOG=$X_LOG; fail "gslbd ($name) exited before it was ready"; }
		[ "$(now_ms)" -lt "$deadline" ] || { G_LOG=$X_LOG; fail "gslbd ($name) not ready"; }
		sleep 0.02
	done
	X_HTTP=$(awk '$1 == "http" { print $4; exit }' "$WORK/$name.ports")
	[ -n "$X_HTTP" ] || fail "no API port for $name"
}

# xmetric HTTP-PORT NAME{LABELS}: its value at that gslbd's /metrics (0 if absent).
xmetric() {
	in_s curl -s --max-time $((5 * TF)) "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" '$1 == m { v = $2 } END { print v == "" ? 0 : v }'
}

# Datagrams the server namespace's kernel gave to UDP sockets (IPv4 + IPv6).
kernel_udp() {
	in_s awk '$1 == "Udp:" { n++; if (n == 2) v4 = $2 } END { print v4 }' /proc/net/snmp |
		{
			read -r v4
			v6=$(in_s awk '$1 == "Udp6InDatagrams" { print $2 }' /proc/net/snmp6)
			echo $((v4 + v6))
		}
}

# xdig ADDR PORT DIG-ARGS...: one query from the client namespace; the
# answer, without what differs between servers and runs, in XOUT.
xdig() {
	local addr=$1 port=$2
	shift 2
	XOUT=$(in_c dig "@$addr" -p "$port" +norecurse +time="$DIG_TIME" +tries=2 "$@" 2>&1 |
		sed -e '/^;; Query time:/d' -e '/^;; SERVER:/d' -e '/^;; WHEN:/d' -e '/^; <<>> DiG/d' \
			-e 's/id: [0-9]*/id: X/')
}

# ---- the differential queries ------------------------------------------------

render_config "$WORK/diff-base.conf" TEMPLATE=gslbd-diff.conf.in
cp "$DATA/diff.zone" "$WORK/diff.zone"
xconf "$WORK/diff-base.conf" "$WORK/xdp.conf" $XPORT xdp
xconf "$WORK/diff-base.conf" "$WORK/sock.conf" $SPORT socket

step "gslbd on XDP and gslbd on sockets on the same veth"
xstart "$WORK/sock.conf" sock
X_SOCK_PID=$X_PID
SOCK_HTTP=$X_HTTP
xstart "$WORK/xdp.conf" xdp
G_PID=$X_PID
G_LOG=$X_LOG
XDP_HTTP=$X_HTTP
grep -q "ready: .*xdp=$SIF@0" "$G_LOG" || fail "the ready line names no XDP queue"
grep -q "xdp $SIF: program attached" "$G_LOG" || fail "no 'program attached' line"
in_s ip link show "$SIF" | grep -q 'prog/xdp' || fail "no XDP program on $SIF"
[ "$(xmetric $XDP_HTTP 'gslbd_dns_path{path="xdp"}')" = 1 ] || fail "gslbd_dns_path{path=xdp} is not 1"
[ "$(xmetric $XDP_HTTP 'gslbd_dns_path{path="socket"}')" = 0 ] || fail "gslbd_dns_path{path=socket} is not 0"
[ "$(xmetric $SOCK_HTTP 'gslbd_dns_path{path="socket"}')" = 1 ] ||
	fail "the socket instance's gslbd_dns_path{path=socket} is not 1"

step "the differential queries: XDP answers as the sockets do (IPv4, IPv6)"
n=0
k0=$(kernel_udp)
while read -r line; do
	case $line in '' | '#'*) continue ;; esac
	case " $line " in *" +tcp "*) continue ;; esac
	for addr in $S4 $S6; do
		# shellcheck disable=SC2086 # the line is a list of dig arguments
		xdig $addr $XPORT +nocookie $line
		got=$XOUT
		# shellcheck disable=SC2086
		xdig $addr $SPORT +nocookie $line
		[ "$got" = "$XOUT" ] || {
			echo "--- XDP"; echo "$got"; echo "--- sockets"; echo "$XOUT"
			fail "XDP and sockets differ for '$line' to $addr"
		}
		case $got in *"status: "*) ;; *) fail "no answer for '$line' to $addr: $got" ;; esac
		n=$((n + 1))
	done
done <"$DATA/diff-queries.txt"
[ "$n" -gt 100 ] || fail "only $n queries compared"
k1=$(kernel_udp)
# The reference's queries went to its sockets (a few more if dig asked
# again); XDP's went past them, or there would be twice as many.
[ $((k1 - k0)) -ge $n ] && [ $((k1 - k0)) -lt $((n + n / 10)) ] ||
	fail "$((k1 - k0)) datagrams reached the kernel's sockets for $n queries to the reference alone"
echo "$n queries compared; the kernel's sockets saw only the reference's $((k1 - k0))"

step "a large answer is truncated (TC=1) as over sockets"
xdig $S4 $XPORT +nocookie +ignore +bufsize=512 big.example.org TXT
got=$XOUT
xdig $S4 $SPORT +nocookie +ignore +bufsize=512 big.example.org TXT
[ "$got" = "$XOUT" ] || fail "truncated answers differ: $got // $XOUT"
echo "$got" | grep -q '^;; flags:.* tc' || fail "no TC=1 at 512 bytes: $got"

step "TCP, ping and ARP to the XDP address go to the kernel"
xdig $S4 $XPORT +tcp www.example.org A
case $XOUT in *"status: NOERROR"*) ;; *) fail "no answer over TCP: $XOUT" ;; esac
in_c ip neigh flush dev "$CIF"
in_c ping -c 2 -W 2 $S4 >/dev/null || fail "ping $S4 failed"
in_c ip neigh show dev "$CIF" | grep -q "^$S4 .*lladdr $SMAC" || fail "no ARP entry for $S4"
in_c ping -6 -c 2 -W 2 $S6 >/dev/null || fail "ping $S6 failed"

step "malformed frames are dropped; what the kernel must see reaches its sockets"
k0=$(kernel_udp)
inv0=$(xmetric $XDP_HTTP 'gslbd_xdp_frames_total{result="invalid"}')
in_c python3 "$FRAMES" malformed "$CIF" "$SMAC" $C4 $S4 $C6 $S6 $XPORT www.example.org \
	>"$WORK/frames.out" 2>&1 || fail "xdpframes.py failed: $(cat "$WORK/frames.out")"
cat "$WORK/frames.out"
k1=$(kernel_udp)
for c in short-frame ethernet-only ipv4-ihl-4 ipv4-ihl-15-short ipv4-version-6 \
	ipv4-total-length-over-frame udp-length-over-ip udp-length-under-8 udp-header-cut \
	dns-header-cut ipv6-payload-length-over-frame ipv6-cut vlan-tagged; do
	grep -qx "$c silent" "$WORK/frames.out" || fail "case $c: expected no answer"
done
for c in ipv4-options ipv4-fragments ipv6-hop-by-hop ipv4-plain ipv6-plain; do
	grep -qx "$c answered" "$WORK/frames.out" || fail "case $c: expected an answer"
done
# Options, fragments and the extension header went to the kernel's sockets.
[ $((k1 - k0)) -eq 3 ] || fail "the kernel's sockets saw $((k1 - k0)) datagrams, expected 3"
gslbd_alive || fail "gslbd died"
# The program redirects what it cannot tell from a query by its headers
# alone (lengths that disagree, a cut DNS header); gslbd counts and drops it.
inv1=$(xmetric $XDP_HTTP 'gslbd_xdp_frames_total{result="invalid"}')
[ $((inv1 - inv0)) -ge 4 ] || fail "only $((inv1 - inv0)) frames counted invalid"
[ "$(xmetric $XDP_HTTP 'gslbd_xdp_frames_total{result="read"}')" -gt "$n" ] ||
	fail "gslbd_xdp_frames_total{result=read} below the $n queries"
xdig $S4 $XPORT www.example.org A
case $XOUT in *"status: NOERROR"*) ;; *) fail "no answer after the malformed frames" ;; esac

step "a reload keeps the XDP path"
kill -HUP "$G_PID"
log_wait 'reload: ok' 10
k0=$(kernel_udp)
xdig $S4 $XPORT www.example.org A
case $XOUT in *"status: NOERROR"*) ;; *) fail "no answer after the reload" ;; esac
[ "$(kernel_udp)" -eq "$k0" ] || fail "after the reload the answer came from a socket"
[ "$(xmetric $XDP_HTTP 'gslbd_dns_path{path="xdp"}')" = 1 ] || fail "gslbd_dns_path{path=xdp} is not 1"

step "stopping detaches the program"
gslbd_stop
grep -q "xdp $SIF: program detached" "$G_LOG" || fail "no 'program detached' line"
in_s ip link show "$SIF" | grep -q 'prog/xdp' && fail "the XDP program is still on $SIF"
kill -TERM "$X_SOCK_PID"
wait_exit "$X_SOCK_PID" 10 || fail "the socket instance did not stop"
X_SOCK_PID=

# ---- ECS geo answers, cookies, rate limiting -------------------------------

render_geo_config "$WORK/geo-base.conf"
# Rate limiting for the flood's spoofed sources; the client's own queries
# (dig) are exempt, or the limit would drop some of them.
cat >>"$WORK/geo-base.conf" <<EOF
rrl:
  rate: 10
  window: 1s
  slip: 2
  exempt: [$C4/32]
cookies:
  secret: 000102030405060708090a0b0c0d0e0f
EOF
xconf "$WORK/geo-base.conf" "$WORK/xdp-geo.conf" $XPORT xdp
xconf "$WORK/geo-base.conf" "$WORK/sock-geo.conf" $SPORT socket
xstart "$WORK/sock-geo.conf" sock-geo
X_SOCK_PID=$X_PID
SOCK_HTTP=$X_HTTP
xstart "$WORK/xdp-geo.conf" xdp-geo
G_PID=$X_PID
G_LOG=$X_LOG
XDP_HTTP=$X_HTTP

step "ECS geo answers through XDP equal the sockets'"
k0=$(kernel_udp)
for ecs in 81.2.69.0/24 198.51.100.0/24 192.0.2.0/24 203.0.113.0/24 45.0.7.0/24 \
	177.0.0.0/24 41.0.0.0/24 2001:db8::/56 0.0.0.0/0; do
	for t in A AAAA; do
		xdig $S4 $XPORT +nocookie +subnet=$ecs www.gslb.example.com $t
		got=$XOUT
		xdig $S4 $SPORT +nocookie +subnet=$ecs www.gslb.example.com $t
		[ "$got" = "$XOUT" ] || {
			echo "--- XDP"; echo "$got"; echo "--- sockets"; echo "$XOUT"
			fail "XDP and sockets differ for ECS $ecs $t"
		}
		case $got in *"CLIENT-SUBNET"*) ;; *) [ "$ecs" = 0.0.0.0/0 ] || fail "no ECS in $got" ;; esac
	done
done
k1=$(kernel_udp)
[ $((k1 - k0)) -ge 18 ] && [ $((k1 - k0)) -lt 24 ] || fail "XDP's ECS queries reached the kernel's sockets"

step "cookies: a server cookie from XDP is valid, counted as over sockets"
for port in $XPORT $SPORT; do
	xdig $S4 $port +cookie=0102030405060708 www.gslb.example.com A
	cookie=$(echo "$XOUT" | awk '$2 == "COOKIE:" { print $3; exit }')
	[ ${#cookie} -ge 32 ] || fail "no server cookie from port $port: $XOUT"
	xdig $S4 $port +cookie="$cookie" www.gslb.example.com A
	case $XOUT in *"COOKIE: "*"(good)"*) ;; *) fail "cookie not good on port $port: $XOUT" ;; esac
done
xv=$(xmetric $XDP_HTTP gslbd_cookies_valid_total)
sv=$(xmetric $SOCK_HTTP gslbd_cookies_valid_total)
xi=$(xmetric $XDP_HTTP gslbd_cookies_issued_total)
si=$(xmetric $SOCK_HTTP gslbd_cookies_issued_total)
echo "cookies valid xdp=$xv sockets=$sv, issued xdp=$xi sockets=$si"
[ "$xv" -ge 1 ] && [ "$xv" = "$sv" ] || fail "valid cookies: xdp=$xv sockets=$sv"

step "rate limiting under a spoofed-source flood, as over sockets"
SOURCES=20
COUNT=$((60 / TF + 10))
sent=$((SOURCES * COUNT))
QA='gslbd_dns_queries_total{zone="gslb.example.com.",qtype="A",rcode="NOERROR"}'
rrl() {
	xmetric "$1" "gslbd_rrl_responses_total{zone=\"gslb.example.com.\",action=\"$2\"}"
}
for h in $XDP_HTTP $SOCK_HTTP; do
	[ $h = $XDP_HTTP ] && port=$XPORT || port=$SPORT
	q0=$(xmetric $h "$QA")
	in_c python3 "$FRAMES" flood "$CIF" "$SMAC" 10.53 $S4 $port www.gslb.example.com \
		$SOURCES $COUNT >"$WORK/flood-$port.out" 2>&1 || fail "flood failed: $(cat "$WORK/flood-$port.out")"
	# Every packet of the flood is counted before the verdicts are read.
	wait_until '[ $(($(xmetric $h "$QA") - q0)) -ge $sent ]' 10 ||
		fail "port $port counted $(($(xmetric $h "$QA") - q0)) queries of the $sent sent"
	s=$(rrl $h slipped) d=$(rrl $h dropped)
	p=$((sent - s - d))
	echo "port $port: passed=$p slipped=$s dropped=$d of $sent"
	[ "$s" -gt 0 ] && [ "$d" -gt 0 ] || fail "no slip or drop under the flood (port $port)"
	# Each source's network is limited to about the rate for the flood's
	# second or two: far below what it sent. Slip 2: half of the rest slips.
	[ "$p" -le $((SOURCES * 10 * 4)) ] || fail "$p passed of $sent (port $port)"
	[ $((s - d)) -le $(((s + d) / 10 + 2)) ] && [ $((d - s)) -le $(((s + d) / 10 + 2)) ] ||
		fail "slipped $s and dropped $d are not about even (port $port)"
	eval "passed_$port=$p"
done
# Both paths limit alike (the same buckets, the same rate): within the
# timing of the flood's two runs.
[ $((passed_$XPORT)) -le $((passed_$SPORT * 2 + 20)) ] && [ $((passed_$SPORT)) -le $((passed_$XPORT * 2 + 20)) ] ||
	fail "XDP passed $((passed_$XPORT)), sockets $((passed_$SPORT))"
gslbd_alive || fail "gslbd died under the flood"

gslbd_stop
kill -TERM "$X_SOCK_PID"
wait_exit "$X_SOCK_PID" 10 || fail "the socket instance did not stop"
X_SOCK_PID=

# ---- the frame's room -------------------------------------------------------

step "an answer larger than the MTU allows is truncated (TC=1) over XDP"
# Below IPv6's minimum MTU the interface loses its IPv6 address: IPv4 only.
grep -v "\[$S6\]" "$WORK/xdp.conf" >"$WORK/xdp-v4.conf"
in_s ip link set "$SIF" mtu 600 && in_c ip link set "$CIF" mtu 600 || fail "cannot set the MTU"
xstart "$WORK/xdp-v4.conf" xdp-mtu
G_PID=$X_PID
G_LOG=$X_LOG
# 600 - 40 (IPv6) - 8 (UDP) = 552 bytes of DNS at most, for either family.
xdig $S4 $XPORT +nocookie +ignore +bufsize=1232 big.example.org TXT
echo "$XOUT" | grep -q '^;; flags:.* tc' || fail "no TC=1 above the MTU: $XOUT"
size=$(echo "$XOUT" | awk '/MSG SIZE/ { print $NF }')
[ -n "$size" ] && [ "$size" -le 552 ] || fail "a response of $size bytes over an MTU of 600"
xdig $S4 $XPORT +nocookie www.example.org A
case $XOUT in *"status: NOERROR"*) ;; *) fail "no answer with MTU 600: $XOUT" ;; esac
gslbd_stop
in_s ip link set "$SIF" mtu 1500 && in_c ip link set "$CIF" mtu 1500 || fail "cannot set the MTU"
in_s ip addr add "$S6/64" dev "$SIF" nodad 2>/dev/null
in_c ip addr add "$C6/64" dev "$CIF" nodad 2>/dev/null

# ---- fallback ----------------------------------------------------------------

step "without CAP_NET_ADMIN: sockets, a warning and the metric say so"
xstart "$WORK/xdp.conf" fallback setpriv --bounding-set=-net_admin --inh-caps=-net_admin
G_PID=$X_PID
G_LOG=$X_LOG
grep -q 'xdp: cannot be set up: no CAP_NET_ADMIN.*answered over sockets' "$G_LOG" ||
	fail "no warning naming CAP_NET_ADMIN"
[ "$(grep -c 'xdp: cannot be set up' "$G_LOG")" -eq 1 ] || fail "not exactly one warning"
in_s ip link show "$SIF" | grep -q 'prog/xdp' && fail "an XDP program is on $SIF"
[ "$(xmetric $X_HTTP 'gslbd_dns_path{path="socket"}')" = 1 ] || fail "gslbd_dns_path{path=socket} is not 1"
[ "$(xmetric $X_HTTP 'gslbd_dns_path{path="xdp"}')" = 0 ] || fail "gslbd_dns_path{path=xdp} is not 0"
k0=$(kernel_udp)
xdig $S4 $XPORT www.example.org A
case $XOUT in *"status: NOERROR"*) ;; *) fail "no answer over sockets: $XOUT" ;; esac
[ "$(kernel_udp)" -gt "$k0" ] || fail "the answer did not come from a socket"
gslbd_stop
echo "PASS"
