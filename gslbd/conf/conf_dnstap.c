/* gslbd.conf "dnstap": where the record of queries and responses goes and
 * which of them are written. The scalar options are in the table (conf.c);
 * this file reads the two lists and checks the sink: a bad path is an
 * error of --check-config and of a reload, not a surprise at run time. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

#define OFF(member) offsetof(struct config, member)

/* Response codes by name (RFC 6895), index = code. */
static const char *const rcode_words[] = {
    "NOERROR",   "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET",   "NOTAUTH", "NOTZONE",  "DSOTYPENI", NULL,      NULL,      NULL,       NULL,
    "BADVERS",   "BADSIG",  "BADKEY",   "BADTIME",   "BADMODE", "BADNAME", "BADALG",   "BADTRUNC",
    "BADCOOKIE", NULL,      NULL,       NULL,        NULL,      NULL,      NULL,       NULL,
};

_Static_assert(sizeof(rcode_words) / sizeof(rcode_words[0]) == 32, "one slot per code 0..31");

int conf_dnstap_rcodes_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n)
{
	struct ytree_node *const *items;
	size_t count;
	int rc;

	(void)key;
	if (ytree_node_is_null(n))
		return 0;
	if ((rc = conf_list_items(l, n, "dnstap.rcodes", "response codes", &items, &count)) != 0)
		return rc;
	l->cfg->dnstap_rcodes = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *v = conf_list_item(n, items, i);
		char path[64];
		char *end;
		unsigned long code = 32;

		conf_item_path(path, sizeof(path), "dnstap.rcodes", items, i);
		if ((rc = ytree_read_string(&l->r, v, path, "a response code")) != 0)
			return rc;
		if (v->scalar[0] >= '0' && v->scalar[0] <= '9') {
			errno = 0;
			code = strtoul(v->scalar, &end, 10);
			if (errno != 0 || *end != '\0')
				code = 32;
		} else {
			for (unsigned c = 0; c < 32; c++) {
				if (rcode_words[c] != NULL &&
				    strcasecmp(rcode_words[c], v->scalar) == 0)
					code = c;
			}
		}
		if (code >= 32)
			return ytree_error_path(
			    &l->r, v, path,
			    "'%s' is not a response code (NOERROR, FORMERR, "
			    "SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, ..., or 0..31)",
			    v->scalar);
		l->cfg->dnstap_rcodes |= 1u << code;
	}
	return 0;
}

int conf_dnstap_zones_read(struct loader *l, const struct ytree_node *key,
			   const struct ytree_node *n)
{
	(void)key;
	l->dnstap_zones = ytree_node_is_null(n) ? NULL : n;
	return 0;
}

/* dnstap.zones: each a served zone. */
static int zones_check(struct loader *l)
{
	const struct ytree_node *n = l->dnstap_zones;
	struct config *cfg = l->cfg;
	struct ytree_node *const *items;
	size_t count;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = conf_list_items(l, n, "dnstap.zones", "zone names", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return 0;
	cfg->dnstap_zone_on = xcalloc(cfg->zone_count > 0 ? cfg->zone_count : 1, sizeof(bool));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *v = conf_list_item(n, items, i);
		uint8_t wire[DNAME_MAXLEN];
		char path[64];
		size_t z;
		int len;

		conf_item_path(path, sizeof(path), "dnstap.zones", items, i);
		if ((rc = ytree_read_string(&l->r, v, path, "a zone name")) != 0)
			return rc;
		len = dname_from_str(v->scalar, wire);
		for (z = 0; len > 0 && z < cfg->zone_count; z++) {
			if (l->zone_wire_len[z] == len &&
			    memcmp(l->zone_wire[z], wire, (size_t)len) == 0)
				break;
		}
		if (len <= 0 || z == cfg->zone_count)
			return ytree_error_path(&l->r, v, path, "'%s' is not a served zone",
						v->scalar);
		cfg->dnstap_zone_on[z] = true;
	}
	return 0;
}

/* The folder of path into dir (dir_len bytes). */
static void folder_of(const char *path, char *dir, size_t dir_len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, dir_len, ".");
	else if (slash == path)
		snprintf(dir, dir_len, "/");
	else
		snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
}

/* The sink the file names: at most one, and usable. */
static int sink_check(struct loader *l)
{
	struct config *cfg = l->cfg;
	const struct ytree_node *socket_n, *tcp_n, *file_n;
	const char *socket_k = conf_option_key(l, OFF(dnstap_socket), &socket_n);
	const char *tcp_k = conf_option_key(l, OFF(dnstap_tcp), &tcp_n);
	const char *file_k = conf_option_key(l, OFF(dnstap_file), &file_n);
	char dir[4096];
	struct stat st;

	if ((cfg->dnstap_socket != NULL) + (cfg->dnstap_tcp != NULL) + (cfg->dnstap_file != NULL) >
	    1) {
		const struct ytree_node *second = cfg->dnstap_file != NULL ? file_n : tcp_n;

		return ytree_error_path(&l->r, second, cfg->dnstap_file != NULL ? file_k : tcp_k,
					"dnstap takes one of socket, tcp and file");
	}
	if (cfg->dnstap_socket != NULL) {
		struct sockaddr_un sun;

		if (strlen(cfg->dnstap_socket) >= sizeof(sun.sun_path))
			return ytree_error_path(
			    &l->r, socket_n, socket_k,
			    "'%s' is longer than a unix socket path may be (%zu)",
			    cfg->dnstap_socket, sizeof(sun.sun_path) - 1);
		folder_of(cfg->dnstap_socket, dir, sizeof(dir));
		if (stat(dir, &st) != 0)
			return ytree_error_path(&l->r, socket_n, socket_k,
						"the folder of socket '%s' does not exist: %s: %s",
						cfg->dnstap_socket, dir, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return ytree_error_path(&l->r, socket_n, socket_k,
						"the folder of socket '%s' is no folder: %s",
						cfg->dnstap_socket, dir);
	}
	if (cfg->dnstap_tcp != NULL) {
		if (netaddr_parse(cfg->dnstap_tcp, 0, &cfg->dnstap_tcp_addr) != 0 ||
		    netaddr_port(&cfg->dnstap_tcp_addr.u.sa) == 0)
			return ytree_error_path(&l->r, tcp_n, tcp_k,
						"'%s' is not ADDR:PORT or [IPV6]:PORT (numeric, "
						"port 1..65535)",
						cfg->dnstap_tcp);
	}
	if (cfg->dnstap_file != NULL) {
		if (stat(cfg->dnstap_file, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return ytree_error_path(&l->r, file_n, file_k, "'%s' is a folder",
							cfg->dnstap_file);
			if (access(cfg->dnstap_file, W_OK) != 0)
				return ytree_error_path(&l->r, file_n, file_k,
							"file '%s' is not writable: %s",
							cfg->dnstap_file, strerror(errno));
		} else {
			folder_of(cfg->dnstap_file, dir, sizeof(dir));
			if (stat(dir, &st) != 0)
				return ytree_error_path(&l->r, file_n, file_k,
							"cannot make file '%s': folder %s: %s",
							cfg->dnstap_file, dir, strerror(errno));
			if (access(dir, W_OK) != 0)
				return ytree_error_path(&l->r, file_n, file_k,
							"cannot make file '%s': folder %s is not "
							"writable: %s",
							cfg->dnstap_file, dir, strerror(errno));
		}
	}
	return 0;
}

int conf_dnstap_check(struct loader *l)
{
	int rc = zones_check(l);
	unsigned slots = l->cfg->dnstap_ring_size;

	if (rc == 0 && (slots & (slots - 1)) != 0) {
		const struct ytree_node *n;
		const char *k = conf_option_key(l, OFF(dnstap_ring_size), &n);

		return ytree_error_path(&l->r, n, k, "%u is not a power of two", slots);
	}
	if (rc == 0)
		rc = sink_check(l);
	return rc;
}
