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
#
# DIFF_DNSSEC=nsec or nsec3 (diff-knot-nsec.sh, diff-knot-nsec3.sh): both
# servers sign the zone from the same KSK and ZSK (made here with
# ldns-keygen; Knot's automatic signing with the keys imported by keymgr,
# gslbd's signing in memory) and every query has the DO bit. NSEC and NSEC3
# records compare as they are (the same chain over the same names, the same
# type bitmaps); RRSIGs by everything but their time fields and signature
# bytes (ECDSA signatures differ each time they are made), and each must be
# valid now. The SOA serial is left out: Knot raises it when it signs, gslbd
# keeps the file's (gslbd.conf(5)).
#
# DIFF_ZONES ("origin:file ...", files in tests/data/integ; default
# "example.org:diff.zone") and DIFF_QUERIES (default diff-queries.txt) give
# other zones and queries (diff-knot-dname.sh).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
[ -x "$KNOTD" ] || skip "knotd not found (Debian package knot)"

# ---- Knot ------------------------------------------------------------------

ZONES=${DIFF_ZONES:-example.org:diff.zone}
QUERIES=${DIFF_QUERIES:-diff-queries.txt}
KDIR=$WORK/knot
mkdir -p "$KDIR"
for zf in $ZONES; do
	cp "$DATA/${zf#*:}" "$KDIR/${zf#*:}"
	chmod u+w "$KDIR/${zf#*:}"
done
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
if [ "$(id -u)" -eq 0 ]; then
	kuser='    user: root:root'
else
	kuser=''
fi
sed -e "s|@DIR@|$KDIR|g" -e "s|@PORT@|$KPORT|g" -e "s|^@USER@\$|$kuser|" \
	"$DATA/knot.conf.in" | awk -v zones="$ZONES" -v dir="$KDIR" '
		# The template serves example.org from diff.zone: serve ZONES instead.
		/^  - domain: example.org$/ {
			n = split(zones, z, " ")
			for (i = 1; i <= n; i++) {
				split(z[i], of, ":")
				print "  - domain: " of[1] "\n    file: \"" dir "/" of[2] "\"\n    acl: xfr"
			}
			skip = 2; next
		}
		skip > 0 { skip--; next }
		{ print }
	' >"$KDIR/knot.conf"
DNSSEC=${DIFF_DNSSEC:-}
case $DNSSEC in
'') ;;
nsec | nsec3)
	command -v ldns-keygen >/dev/null 2>&1 || fail "ldns-keygen not found (Debian package ldnsutils)"
	command -v keymgr >/dev/null 2>&1 || fail "keymgr not found (Debian package knot)"
	mkdir -p "$WORK/keys"
	declare -A KEYS # origin -> "KSK ZSK" (file names in $WORK/keys)
	for zf in $ZONES; do
		o=${zf%%:*}
		k=$(cd "$WORK/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$o") || fail "ldns-keygen failed"
		z=$(cd "$WORK/keys" && ldns-keygen -a ECDSAP256SHA256 "$o") || fail "ldns-keygen failed"
		KEYS[$o]="$k $z"
	done
	chmod 600 "$WORK"/keys/*.private
	# Knot signs with the imported keys as they are (manual policy),
	# NSEC3 with RFC 9276's parameters, as gslbd's defaults.
	[ "$DNSSEC" = nsec3 ] && n3=on || n3=off
	awk -v n3="$n3" '
		/^template:/ {
			print "policy:\n  - id: same-keys\n    manual: on\n    nsec3: " n3
			print "    nsec3-iterations: 0\n    nsec3-salt-length: 0\n    nsec3-opt-out: off"
		}
		/journal-content:/ { print "    journal-content: changes"; next }
		{ print }
		/^    acl: xfr$/ { print "    dnssec-signing: on\n    dnssec-policy: same-keys" }
	' "$KDIR/knot.conf" >"$KDIR/knot.conf.new" && mv "$KDIR/knot.conf.new" "$KDIR/knot.conf"
	for zf in $ZONES; do
		o=${zf%%:*}
		for k in ${KEYS[$o]}; do
			keymgr -c "$KDIR/knot.conf" "$o" import-bind "$WORK/keys/$k.private" \
				>>"$WORK/keymgr.log" 2>&1 || fail "keymgr import-bind failed: $(cat "$WORK/keymgr.log")"
		done
	done
	;;
*) fail "DIFF_DNSSEC is nsec or nsec3, not $DNSSEC" ;;
esac
"$KNOTD" -c "$KDIR/knot.conf" >"$WORK/knot.log" 2>&1 &
KNOT_PID=$!
BG_PIDS="$BG_PIDS $KNOT_PID"

knot_q() {
	Q_UDP=$KPORT Q_TCP=$KPORT q "$@"
}
knot_ready() {
	kill -0 "$KNOT_PID" 2>/dev/null || return 2
	local zf
	for zf in $ZONES; do
		knot_q +notcp +dnssec "${zf%%:*}" SOA
		[ "$(got_rcode)" = NOERROR ] || return 1
		# Signed: wait for the signatures too.
		[ -z "$DNSSEC" ] || echo "$OUT" | grep -q 'RRSIG' || return 1
	done
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

# The whole zones as Knot holds them, for the ANY checks below.
: >"$WORK/zone.rrs"
for zf in $ZONES; do
	knot_q axfr "${zf%%:*}"
	echo "$OUT" | grep -qw SOA || fail "no AXFR of ${zf%%:*} from knotd: $OUT"
	echo "$OUT" | grep -v '^;' | grep -v '^$' | awk '{ $1 = $1; print }' |
		tr '[:upper:]' '[:lower:]' >>"$WORK/zone.rrs"
done
sort -u -o "$WORK/zone.rrs" "$WORK/zone.rrs"

# ---- gslbd -----------------------------------------------------------------

render_config "$WORK/gslbd.conf" TEMPLATE=gslbd-diff.conf.in
# The template's zones (its last lines) are example.org from diff.zone:
# ZONES instead, each signed by its keys when DNSSEC is set.
sed -i '/^  - name: example.org$/,$d' "$WORK/gslbd.conf"
for zf in $ZONES; do
	o=${zf%%:*}
	printf '  - name: %s\n    file: %s\n' "$o" "${zf#*:}" >>"$WORK/gslbd.conf"
	if [ -n "$DNSSEC" ]; then
		read -r k z <<<"${KEYS[$o]}"
		echo "    dnssec: { keys: [keys/$k, keys/$z], denial: $DNSSEC }" >>"$WORK/gslbd.conf"
	fi
done
gslbd_start "$WORK/gslbd.conf"

# norm: the response in $OUT in a comparable form, one item per line,
# sorted: rcode, flags (AD left out), EDNS version and size, EDNS options,
# then "SECTION rr" lines with whitespace squeezed and everything lowercased.
# One awk, as it runs twice per query.
NOW=$(date -u +%Y%m%d%H%M%S)
norm() {
	echo "$OUT" | awk -v dnssec="$DNSSEC" -v now="$NOW" '
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
		sec != "" {
			$0 = tolower($0)
			$1 = $1
			if (dnssec != "" && $4 == "rrsig") {
				# owner ttl class rrsig covered alg labels orig-ttl
				# expiration inception keytag signer signature...
				if (!($10 <= now && now <= $9))
					print "invalid-rrsig " $0
				$0 = $1 " " $2 " " $3 " " $4 " " $5 " " $6 " " $7 " " $8 " " $11 " " $12
			}
			if (dnssec != "" && $4 == "soa")
				$7 = "serial"
			print sec " " $0
		}
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
	[ -z "$DNSSEC" ] || line="$line +dnssec"
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
		if cmp -s "$WORK/g.txt" "$WORK/k.txt"; then
			why= # the same answer (below a DNAME: the substitution)
		elif ! cmp -s <(head_of "$WORK/g.txt") <(head_of "$WORK/k.txt"); then
			why="$why: rcode/flags/EDNS differ"
		else
			qname=$(echo "$1" | tr '[:upper:]' '[:lower:]')
			# Signed: the RRSIGs (other bytes each signing) and the
			# SOA (another serial) are compared above, not here.
			section answer | tr '[:upper:]' '[:lower:]' | awk '{ $1 = $1; print }' |
				awk -v d="$DNSSEC" 'd == "" || ($4 != "rrsig" && $4 != "soa")' |
				sort >"$WORK/g.any"
			awk -v n="$qname." -v d="$DNSSEC" \
				'$1 == n && (d == "" || ($4 != "rrsig" && $4 != "soa"))' \
				"$WORK/zone.rrs" | sort >"$WORK/zone.any"
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
	*" RRSIG "*)
		# A query for type RRSIG: gslbd answers with every RRSIG at the
		# name (each with the TTL of the RRset it covers), Knot with
		# one, as for ANY (RFC 8482). Knot's must be among gslbd's.
		if ! cmp -s <(head_of "$WORK/g.txt") <(head_of "$WORK/k.txt"); then
			why="RRSIG query: rcode/flags/EDNS differ"
		elif [ -n "$(comm -13 <(grep '^answer ' "$WORK/g.txt") <(grep '^answer ' "$WORK/k.txt"))" ]; then
			why="RRSIG query: Knot's RRSIGs are not among gslbd's"
		fi
		;;
	*)
		if grep -qx 'rcode YXDOMAIN' "$WORK/g.txt" && grep -qx 'rcode NXDOMAIN' "$WORK/k.txt"; then
			# A DNAME substitution longer than 255 bytes: RFC 6672
			# 2.2 says YXDOMAIN, with the DNAME (as NSD answers);
			# Knot 3.2 says NXDOMAIN and adds the SOA. The rest must
			# agree.
			cmp -s <(grep -Ev '^(rcode |authority )' "$WORK/g.txt") \
				<(grep -Ev '^(rcode |authority )' "$WORK/k.txt") &&
				! grep -q '^authority ' "$WORK/g.txt" ||
				why="YXDOMAIN (RFC 6672 2.2): the rest differs"
		elif grep -qx 'flags .*tc .*' "$WORK/g.txt" && grep -qx 'flags .*tc .*' "$WORK/k.txt"; then
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
	if grep -q '^invalid-rrsig' "$WORK/g.txt"; then
		fails=$((fails + 1))
		echo "DIFF: dig $line: gslbd's RRSIG not valid now ($NOW): $(grep '^invalid-rrsig' "$WORK/g.txt")"
	fi
done < <(
	cat "$DATA/$QUERIES"
	# Signed: the DNSSEC records themselves.
	if [ -n "$DNSSEC" ] && [ "$ZONES" = example.org:diff.zone ]; then
		printf '%s\n' 'example.org DNSKEY +notcp' 'example.org DNSKEY +tcp' \
			'deleg.example.org DS +notcp' 'example.org NSEC3PARAM +notcp' \
			'example.org NSEC +notcp' 'www.example.org RRSIG +notcp'
	fi
)

echo "$n queries, $fails differences"
[ "$n" -ge 50 ] || fail "only $n queries read from $QUERIES"
[ "$fails" -eq 0 ] || fail "$fails of $n responses differ from Knot DNS"

step "stop"
gslbd_stop
knot_stop
echo "PASS"
