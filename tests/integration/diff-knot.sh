#!/bin/sh
# Differential test: gslbd and Knot DNS serve the same zone
# (tests/data/integ/diff.zone) and get the same queries
# (tests/data/integ/diff-queries.txt); rcode, flags (AD aside) and the
# answer, authority and additional sections (sorted, names lowercased, TTLs
# included) must match, apart from the differences the RFCs allow, which are
# listed below with their reasons.
#
# DIFF_KNOT_ONLY=1 only starts Knot, asks it one query and stops (to check
# the Knot side alone).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
[ -x "$KNOTD" ] || skip "knotd not found (Debian package knot)"

# ---- Knot ------------------------------------------------------------------

KDIR=$WORK/knot
mkdir -p "$KDIR"
cp "$DATA/diff.zone" "$KDIR/diff.zone"
chmod u+w "$KDIR/diff.zone"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
if [ "$(id -u)" -eq 0 ]; then
	kuser='    user: root:root'
else
	kuser=''
fi
sed -e "s|@DIR@|$KDIR|g" -e "s|@PORT@|$KPORT|g" -e "s|^@USER@\$|$kuser|" \
	"$DATA/knot.conf.in" >"$KDIR/knot.conf"
"$KNOTD" -c "$KDIR/knot.conf" >"$WORK/knot.log" 2>&1 &
KNOT_PID=$!
BG_PIDS="$BG_PIDS $KNOT_PID"

knot_q() {
	Q_UDP=$KPORT Q_TCP=$KPORT q "$@"
}
knot_ready() {
	kill -0 "$KNOT_PID" 2>/dev/null || return 2
	knot_q +notcp example.org SOA
	[ "$(got_rcode)" = NOERROR ]
}
step "start knotd on port $KPORT"
wait_until knot_ready 10 || {
	echo "---- knot.log"
	cat "$WORK/knot.log"
	# Knot cannot run here (e.g. no permission for its databases): skip.
	kill -0 "$KNOT_PID" 2>/dev/null || skip "knotd exited at startup"
	fail "knotd does not answer on port $KPORT"
}
assert_flag aa

knot_stop() {
	kill -TERM "$KNOT_PID"
	wait_exit "$KNOT_PID" 10 || fail "knotd still running after SIGTERM"
	BG_PIDS=${BG_PIDS/ $KNOT_PID/}
}

if [ -n "${DIFF_KNOT_ONLY:-}" ]; then
	echo "$OUT"
	knot_stop
	echo "PASS (Knot only)"
	exit 0
fi

# The whole zone as Knot holds it, for the ANY checks below.
knot_q axfr example.org
echo "$OUT" | grep -v '^;' | grep -v '^$' | awk '{ $1 = $1; print }' |
	tr '[:upper:]' '[:lower:]' | sort -u >"$WORK/zone.rrs"
grep -q ' soa ' "$WORK/zone.rrs" || fail "no AXFR from knotd: $OUT"

# ---- gslbd -----------------------------------------------------------------

render_config "$WORK/gslbd.conf" TEMPLATE=gslbd-diff.conf.in
gslbd_start "$WORK/gslbd.conf"

# norm: the response in $OUT in a comparable form, one item per line,
# sorted: rcode, flags (AD left out), EDNS version and size, EDNS options,
# then "SECTION rr" lines with whitespace squeezed and everything lowercased.
# One awk, as it runs twice per query.
norm() {
	echo "$OUT" | awk '
		/->>HEADER<<-/ { sub(/.*status: /, ""); sub(/,.*/, ""); print "rcode " $0; next }
		/^;; flags:/ {
			sub(/^;; flags: /, ""); sub(/;.*/, "")
			n = split($0, f, " "); out = ""
			for (i = 1; i <= n; i++) if (f[i] != "ad") out = out " " f[i]
			print "flags" out; next
		}
		/^; EDNS: version:/ {
			v = $0; sub(/^; EDNS: version: /, "", v); sub(/,.*/, "", v)
			u = $0; sub(/.*udp: /, "", u)
			print "edns version " v " udp " u; next
		}
		/^; (CLIENT-SUBNET|OPT=)/ { print "ednsopt " substr($0, 3); next }
		/^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:$/ { sec = tolower($2); next }
		/^$/ { sec = ""; next }
		sec != "" { $1 = $1; print sec " " tolower($0) }
	' | sort
}

# Items of the normalised form: "head" is rcode, flags and EDNS.
head_of() { grep -Ev '^(question|answer|authority|additional) ' "$1"; }

n=0
fails=0
while IFS= read -r line; do
	case $line in
	'#'* | '') continue ;;
	esac
	n=$((n + 1))
	# shellcheck disable=SC2086 # the line is a list of dig arguments
	set -- $line
	q "$@"
	assert_answered
	GOUT=$OUT
	norm >"$WORK/g.txt"
	knot_q "$@"
	assert_answered
	KOUT=$OUT
	norm >"$WORK/k.txt"
	OUT=$GOUT

	why=
	case " $line " in
	*" ANY "*)
		# RFC 8482: the answer to ANY may be any one RRset over UDP
		# (Knot picks its own, and answers with one RRset over TCP as
		# well), while gslbd sends every RRset over TCP. So: same rcode
		# and flags, and gslbd's records are the zone's records at that
		# name -- one RRset over UDP, all of them over TCP.
		why="ANY (RFC 8482)"
		if ! cmp -s <(head_of "$WORK/g.txt") <(head_of "$WORK/k.txt"); then
			why="$why: rcode/flags/EDNS differ"
		else
			qname=$(echo "$1" | tr '[:upper:]' '[:lower:]')
			section answer | tr '[:upper:]' '[:lower:]' | sort >"$WORK/g.any"
			awk -v n="$qname." '$1 == n' "$WORK/zone.rrs" | sort >"$WORK/zone.any"
			types=$(awk '{ print $4 }' "$WORK/g.any" | sort -u | grep -c .)
			if [ -n "$(comm -23 "$WORK/g.any" "$WORK/zone.any")" ]; then
				why="$why: records not in the zone: $(comm -23 "$WORK/g.any" "$WORK/zone.any" | tr '\n' ';')"
			elif [ " ${line/+tcp/}" = " $line" ] && [ "$types" -ne 1 ]; then
				why="$why: $types RRsets over UDP, expected one"
			elif [ " ${line/+tcp/}" != " $line" ] && ! cmp -s "$WORK/g.any" "$WORK/zone.any"; then
				why="$why: over TCP every RRset at the name is expected"
			else
				why=
			fi
		fi
		;;
	*)
		if grep -qx 'flags .*tc .*' "$WORK/g.txt" && grep -qx 'flags .*tc .*' "$WORK/k.txt"; then
			# Truncated (TC=1) on both: what a truncated response
			# carries is the server's choice (RFC 2181 section 9,
			# RFC 1035 4.2.1); the client retries over TCP. Compare
			# rcode, flags and EDNS only.
			cmp -s <(head_of "$WORK/g.txt") <(head_of "$WORK/k.txt") ||
				why="truncated answers: rcode/flags/EDNS differ"
		elif ! cmp -s "$WORK/g.txt" "$WORK/k.txt"; then
			why="responses differ"
		fi
		;;
	esac
	if [ -n "$why" ]; then
		fails=$((fails + 1))
		echo "DIFF: dig $line: $why"
		echo "     (< gslbd, > knot)"
		diff "$WORK/g.txt" "$WORK/k.txt" | grep '^[<>]' | sed 's/^/     /'
	fi
done <"$DATA/diff-queries.txt"

echo "$n queries, $fails differences"
[ "$n" -ge 50 ] || fail "only $n queries read from diff-queries.txt"
[ "$fails" -eq 0 ] || fail "$fails of $n responses differ from Knot DNS"

step "stop"
gslbd_stop
knot_stop
echo "PASS"
