#!/bin/sh
# dnstap against Knot DNS: Knot with mod-dnstap and gslbd serve the same
# static zone (diff.zone) and each writes a dnstap file; the same query
# bytes are sent to both over UDP and TCP. Each file holds, for every query,
# an AUTH_QUERY and an AUTH_RESPONSE of the same socket family and
# protocol, the query bytes exactly as sent, and responses that dnstap-read
# decodes to the same status, flags and answer.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
[ -x "$KNOTD" ] || fail "knotd not found (Debian package knot)"
command -v dnstap-read >/dev/null 2>&1 || fail "dnstap-read not found (Debian package bind9-dnsutils)"
FIELDS="python3 $top_srcdir/tests/integration/dnstap_fields.py"

step "Knot with mod-dnstap and gslbd on diff.zone, each to a dnstap file"
KDIR=$WORK/knot
mkdir -p "$KDIR"
cp "$DATA/diff.zone" "$KDIR/diff.zone"
chmod u+w "$KDIR/diff.zone"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
kuser=''
[ "$(id -u)" -eq 0 ] && kuser='    user: root:root'
sed -e "s|@DIR@|$KDIR|g" -e "s|@PORT@|$KPORT|g" -e "s|^@USER@\$|$kuser|" \
	-e "s|^template:\$|mod-dnstap:\n  - id: tap\n    sink: \"$KDIR/knot.tap\"\n    log-queries: on\n    log-responses: on\ntemplate:|" \
	-e "s|^  - id: default\$|  - id: default\n    global-module: mod-dnstap/tap|" \
	"$DATA/knot.conf.in" >"$KDIR/knot.conf"
"$KNOTD" -c "$KDIR/knot.conf" >"$WORK/knot.log" 2>&1 &
KNOT_PID=$!
BG_PIDS="$BG_PIDS $KNOT_PID"
knot_ready() {
	kill -0 "$KNOT_PID" 2>/dev/null || return 2
	dig @127.0.0.1 -p "$KPORT" +time=1 +tries=1 example.org SOA 2>/dev/null | grep -q 'status: NOERROR'
}
wait_until knot_ready 10 || {
	cat "$WORK/knot.log"
	fail "knotd with mod-dnstap does not answer on port $KPORT"
}
render_config "$WORK/gslbd.conf" TEMPLATE=gslbd-diff.conf.in
printf 'dnstap:\n  file: %s\n' "$WORK/gslbd.tap" >>"$WORK/gslbd.conf"
gslbd_start "$WORK/gslbd.conf"

step "the same queries to both, over UDP and TCP"
python3 - "$G_UDP" "$KPORT" <<'EOF' || fail "a server did not answer"
import socket, struct, sys
names = [("example.org", 6), ("example.org", 2), ("www.example.org", 1), ("www.example.org", 28),
         ("alias.example.org", 1), ("nothere.example.org", 1), ("mail.example.org", 15),
         ("MiXeD.example.org", 1)]
def query(i, name, qtype):
    q = struct.pack(">HHHHHH", i, 0, 1, 0, 0, 1)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    # EDNS OPT, 1232 bytes, no options
    return q + b"\x00" + struct.pack(">HH", qtype, 1) + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
for port in map(int, sys.argv[1:]):
    for n, (name, qtype) in enumerate(names):
        q = query(1000 + n, name, qtype)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(3)
        u.sendto(q, ("127.0.0.1", port))
        assert u.recv(4096)[:2] == q[:2]
        q = query(2000 + n, name, qtype)
        t = socket.create_connection(("127.0.0.1", port), timeout=3)
        t.sendall(struct.pack(">H", len(q)) + q)
        n2 = struct.unpack(">H", t.recv(2))[0]
        d = b""
        while len(d) < n2:
            d += t.recv(n2 - len(d))
        assert d[:2] == q[:2]
        t.close()
EOF
gslbd_stop
kill -TERM "$KNOT_PID"
wait_exit "$KNOT_PID" 10 || fail "knotd still running after SIGTERM"

step "kinds, families, protocols and query bytes match; responses decode alike"
# The test's queries have IDs 1000..1007 (UDP) and 2000..2007 (TCP); Knot's
# file also holds the readiness polls.
ours() {
	awk -v f="$1" '$f ~ /^[12]00[0-7]$/'
}
$FIELDS --bytes "$KDIR/knot.tap" >"$WORK/knot.all" || fail "Knot's dnstap file does not decode"
$FIELDS --bytes "$WORK/gslbd.tap" >"$WORK/gslbd.all" || fail "gslbd's dnstap file does not decode"
ours 2 <"$WORK/knot.all" | sort >"$WORK/knot.msgs"
ours 2 <"$WORK/gslbd.all" | sort >"$WORK/gslbd.msgs"
[ "$(wc -l <"$WORK/gslbd.msgs")" = 32 ] || fail "gslbd: expected 32 messages, got $(wc -l <"$WORK/gslbd.msgs")"
# TYPE ID FAMILY PROTOCOL, and the query bytes.
diff <(awk '{ print $1, $2, $3, $4 }' "$WORK/knot.msgs") <(awk '{ print $1, $2, $3, $4 }' "$WORK/gslbd.msgs") ||
	fail "message kinds, families or protocols differ (< Knot, > gslbd)"
diff <(awk '$1 == "AQ"' "$WORK/knot.msgs") <(awk '$1 == "AQ"' "$WORK/gslbd.msgs") ||
	fail "query bytes differ (< Knot, > gslbd)"
# dnstap-read's view of each response: ID, status, flags, answer section.
responses() {
	dnstap-read -y "$1" | awk '
		/^  type: / { t = $2 }
		t == "AUTH_RESPONSE" && /^    id: / { id = $2 }
		t == "AUTH_RESPONSE" && /^    status: / { st = $2 }
		t == "AUTH_RESPONSE" && /^    flags: / { fl = $0 }
		t == "AUTH_RESPONSE" && /^    ANSWER_SECTION:/ { a = 1; next }
		a && /^      - / { ans = ans " " $0; next }
		{ a = 0 }
		/^---/ { if (id != "") print id, st, fl, ans; id = ""; ans = ""; t = "" }
		END { if (id != "") print id, st, fl, ans }' | ours 1 | sort
}
responses "$KDIR/knot.tap" >"$WORK/knot.resp"
responses "$WORK/gslbd.tap" >"$WORK/gslbd.resp"
[ "$(wc -l <"$WORK/gslbd.resp")" = 16 ] || fail "dnstap-read: expected 16 gslbd responses: $(cat "$WORK/gslbd.resp")"
diff "$WORK/knot.resp" "$WORK/gslbd.resp" || fail "responses decode differently (< Knot, > gslbd)"
echo "PASS"
