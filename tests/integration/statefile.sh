#!/bin/sh
# The state file (server.state_file) never stops gslbd: an empty or corrupt
# one is moved aside and gslbd starts with a loud error, the metric
# gslbd_state_file_ok 0 and the problem in /v1/status; the next drain
# writes a good file again. A state folder that server.user cannot write is
# found at start, not at the first drain.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
ADMIN=t0ken
STATE=$WORK/state.json

# start_with CONTENT: a state file holding CONTENT, gslbd started on it.
start_with() {
	printf '%s' "$1" >"$STATE"
	rm -f "$STATE".corrupt-*
	G_START_ERRORS_OK=1 gslbd_start "$CONF"
	api_port
}

for content in "" "{\"version\": 1, \"datacenters\": " "garbage"; do
	step "a state file holding '$content': gslbd starts, says so, keeps the file"
	start_with "$content"
	log_wait 'state file unreadable: .*state\.json.*moved to .*state\.json\.corrupt-[0-9]+; starting with no drains' 5
	ls "$STATE".corrupt-* >/dev/null 2>&1 || fail "the unreadable file was not kept aside"
	[ "$(cat "$STATE".corrupt-*)" = "$content" ] || fail "the file kept aside differs"
	[ "$(metric gslbd_state_file_ok)" = 0 ] || fail "gslbd_state_file_ok is $(metric gslbd_state_file_ok)"
	[ "$(metric gslbd_state_file_errors_total)" = 1 ] || fail "gslbd_state_file_errors_total"
	api_get /v1/status
	assert_api_code 200
	assert_api_jq '.state_file.ok' false
	assert_api_jq '.state_file.problem | startswith("unreadable: ")' true
	q www.gslb.example.com A +subnet=81.2.69.0/24
	assert_addrs "198.51.100.10"
	step "a drain writes a good state file and clears the problem"
	api_post /v1/datacenters/eu-west/drain "$ADMIN"
	assert_api_code 200
	assert_api_jq '.persisted' true
	jq -e '.datacenters["eu-west"].admin == "drain"' "$STATE" >/dev/null || fail "state file: $(cat "$STATE")"
	[ "$(metric gslbd_state_file_ok)" = 1 ] || fail "gslbd_state_file_ok stays 0 after a good save"
	gslbd_stop
	step "the drain survives a restart"
	gslbd_start "$CONF"
	api_port
	api_get /v1/status
	[ "$(dc_field eu-west .admin)" = drain ] || api_fail "eu-west not drained after a restart"
	[ "$(metric gslbd_state_file_ok)" = 1 ] || fail "gslbd_state_file_ok is 0 with a good file"
	gslbd_stop
	rm -f "$STATE"
done

step "a state folder gslbd cannot write is found at start"
mkdir -p "$WORK/ro"
sed -i "s|^  state_file: .*|  state_file: $WORK/ro/state.json|" "$CONF"
if [ "$(id -u)" = 0 ]; then
	# root writes anywhere: run as nobody, whom the folder does not let in.
	id nobody >/dev/null 2>&1 || fail "no user 'nobody' to run gslbd as"
	chmod 755 "$WORK/ro"
	sed -i "s|^server:$|server:\n  user: nobody|" "$CONF"
else
	chmod 555 "$WORK/ro"
fi
G_START_ERRORS_OK=1 gslbd_start "$CONF"
api_port
log_wait "state file: .*ro/state\.json.*cannot write a file there: Permission denied: drains and force-ups will not survive a restart" 5
[ "$(metric gslbd_state_file_ok)" = 0 ] || fail "gslbd_state_file_ok is not 0 with an unwritable folder"
api_get /v1/status
assert_api_jq '.state_file.problem | startswith("not writable: ")' true
q www.gslb.example.com A +subnet=81.2.69.0/24
assert_addrs "198.51.100.10"
gslbd_stop
chmod 755 "$WORK/ro"
echo PASS
