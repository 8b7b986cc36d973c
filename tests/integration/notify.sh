#!/bin/sh
# NOTIFY (RFC 1996) to a secondary that does not answer at once: at start
# gslbd sends NOTIFY for each zone it serves (RFC 1996 4.3: secondaries
# catch up after a restart); the stand-in secondary (notify.py) ignores the
# first two of each zone, so gslbd sends again after 1 s and then 2 s
# (doubling) and stops at the answer; an answer REFUSED ends it too, logged
# and counted as failed. A reload that changes no serial sends nothing; a
# reload that changes two zones' serials sends NOTIFY for each.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || fail "python3 not found (.ci/install-deps installs it)"
command -v curl >/dev/null 2>&1 || fail "curl not found"

python3 "$top_srcdir/tests/integration/notify.py" "$WORK/secondary.port" "$WORK/secondary.log" 2 \
	example.net &
BG_PIDS="$BG_PIDS $!"
wait_until "[ -s '$WORK/secondary.port' ]" 5 || fail "notify.py did not start"
SPORT=$(cat "$WORK/secondary.port")
: >"$WORK/secondary.log"

cp "$DATA/example.com.zone" "$DATA/example.net.zone" "$WORK/"
chmod u+w "$WORK"/*.zone
listen='"127.0.0.1:0"'
! have_ipv6 || listen="$listen, \"[::1]:0\""
cat >"$WORK/gslbd.conf" <<CONF
server:
  listen: [$listen]
  workers: 1
  state_file: state.json
  notify: ["127.0.0.1:$SPORT"]
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
zones:
  - name: example.com
    file: example.com.zone
  - name: example.net
    file: example.net.zone
CONF
gslbd_start "$WORK/gslbd.conf"
G_HTTP=$(awk '$1 == "http" { print $4; exit }' "$G_PORTFILE")

step "at start: NOTIFY for each zone, retried until answered"
log_wait 'notify: zone=example.com serial=2024010101: telling 1 secondaries' 5
log_wait 'notify: acknowledged: zone=example.com serial=2024010101 secondary=127.0.0.1:'"$SPORT"' tries=3' 15
log_wait 'notify: refused: zone=example.net serial=1 secondary=127.0.0.1:'"$SPORT"' rcode=5' 15
cat "$WORK/secondary.log"
[ "$(grep -c ' example.com ' "$WORK/secondary.log")" -eq 3 ] || fail "example.com: not 3 messages"
# The waits double: about 1 s, then about 2 s (lower bounds only: a busy
# machine may be late, never early).
awk '$2 == "example.com" { t[n++] = $1 } END {
	if (t[1] - t[0] < 900 || t[2] - t[1] < 1800) { print "waits " t[1] - t[0] " and " t[2] - t[1] " ms"; exit 1 }
}' "$WORK/secondary.log" || fail "the retries do not wait 1 s, then 2 s"
[ "$(awk '$2 == "example.com" { print $3 }' "$WORK/secondary.log" | sort -u | wc -l)" -eq 3 ] ||
	fail "a retry reused a message ID"
[ "$(metric gslbd_notify_acked_total)" = 1 ] || fail "acked: $(metric gslbd_notify_acked_total)"
[ "$(metric gslbd_notify_failed_total)" = 1 ] || fail "failed: $(metric gslbd_notify_failed_total)"
[ "$(metric gslbd_notify_sent_total)" = 6 ] || fail "sent: $(metric gslbd_notify_sent_total)"

step "a reload that changes no serial sends no NOTIFY"
kill -HUP "$G_PID"
log_wait 'reload: ok generation=2 ' 10
[ "$(grep -c . "$WORK/secondary.log")" -eq 6 ] ||
	fail "NOTIFY sent without a change: $(cat "$WORK/secondary.log")"

step "both zones change: NOTIFY for each"
sed -i 's/2024010101/2024010102/' "$WORK/example.com.zone"
sed -i 's/^\(@.*SOA.*hostmaster.example.net. \)1 /\12 /' "$WORK/example.net.zone"
grep -q 'hostmaster.example.net. 2 ' "$WORK/example.net.zone" || fail "the edit of example.net did not apply"
kill -HUP "$G_PID"
log_wait 'notify: acknowledged: zone=example.com serial=2024010102 secondary=127.0.0.1:'"$SPORT"' tries=1' 15
log_wait 'notify: refused: zone=example.net serial=2 secondary=127.0.0.1:'"$SPORT"' rcode=5' 15
[ "$(metric gslbd_notify_acked_total)" = 2 ] || fail "acked: $(metric gslbd_notify_acked_total)"
[ "$(metric gslbd_notify_failed_total)" = 2 ] || fail "failed: $(metric gslbd_notify_failed_total)"
[ "$(metric gslbd_notify_sent_total)" = 8 ] || fail "sent: $(metric gslbd_notify_sent_total)"

gslbd_stop
echo PASS
