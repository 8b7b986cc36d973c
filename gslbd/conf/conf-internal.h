/* Shared by the readers of gslbd.conf: the state of one load and the typed
 * readers every section uses (conf_read.c). conf.c reads the top level and
 * the scalar options of the table; each list or section with code of its own
 * has a file, conf_<section>.c. Every error is "file:line:col: path:
 * message" through ytree_error_path() and comes back as GSLB_EPARSE.
 * Included only from gslbd/conf/; one load runs on one thread. */
#ifndef GSLBD_CONF_CONF_INTERNAL_H
#define GSLBD_CONF_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf.h"
#include "zones/dname.h"

/* Default port of server.listen. */
#define DNS_PORT 53

/* State of one load. */
struct loader {
	struct ytree_reader r;              /* the parsed file, its folder, the error */
	struct config *cfg;                 /* the config being built */
	const struct ytree_node **seen;     /* value node of each table option the file sets */
	struct netprefix *allow_transfer;   /* server.allow_transfer */
	int *allow_transfer_key;            /* the key each entry requires, or -1 */
	size_t allow_transfer_count;        /* entries at allow_transfer */
	struct config_notify *notify;       /* server.notify */
	size_t notify_count;                /* entries at notify */
	const struct ytree_node *token_key; /* first admin token key seen, or NULL */
	uint8_t (*zone_wire)[DNAME_MAXLEN]; /* canonical origin of each zone */
	int *zone_wire_len;                 /* length of each at zone_wire */
	const struct ytree_node **fallback; /* value node of each pool's fallback, or NULL */
	struct netacl *listen_acl;          /* server.listen[i].acl as given (set: given) */
	size_t listen_acl_count;            /* entries at listen_acl */
	const struct ytree_node *secret_key;   /* cookies.secret(_file) key, once seen */
	const struct ytree_node *previous_key; /* cookies.previous_secret(_file) key, once seen */
	const struct ytree_node *dnstap_zones; /* dnstap.zones value, resolved after the zones */
};

/* Reads the value n of a key of a mapping section that the option table
 * does not describe (key: its key node). Returns 0 or GSLB_EPARSE. */
typedef int conf_key_read_fn(struct loader *l, const struct ytree_node *key,
			     const struct ytree_node *n);

/* conf.c: the option of the table stored at offset in struct config. Sets
 * *seen to the node the file gave it (NULL for the default) and returns its
 * key ("health.quorum"), for messages about values read together. */
const char *conf_option_key(const struct loader *l, size_t offset, const struct ytree_node **seen);

/* conf_read.c: typed readers. path names the value in messages. */

/* Overwrite len bytes at p with zeros (secrets, before they are freed). */
void conf_wipe(void *p, size_t len);
/* Items of a list value: a sequence, or one scalar standing for a list of
 * one. Sets *items (NULL for a scalar) and *count; what names the items in
 * "expected a list of <what>". */
int conf_list_items(struct loader *l, const struct ytree_node *n, const char *path,
		    const char *what, struct ytree_node *const **items, size_t *count);
/* Item i of a list value (see conf_list_items()). */
const struct ytree_node *conf_list_item(const struct ytree_node *n, struct ytree_node *const *items,
					size_t i);
/* Path of item i of a list for messages: "path[i]", or path for a scalar. */
void conf_item_path(char *buf, size_t len, const char *path, struct ytree_node *const *items,
		    size_t i);
/* The listen address at node n (path in messages) into list[i], with
 * default_port when it names none; it must not repeat one of list[0..i)
 * (port 0 may: it asks for any free port). what is the item's kind in
 * "expected X, got Y" messages ("an address"). */
int conf_listen_address_read(struct loader *l, const struct ytree_node *n, const char *path,
			     const char *what, uint16_t default_port, struct netaddr *list,
			     size_t i);
/* A list of listen addresses into *list (replacing what is there;
 * *list_count counts the entries read so far, for config_free()). Addresses
 * without a port get default_port; may_be_empty allows []. With acls, an
 * item may also be a mapping {address, acl}; *acls (list_count entries,
 * the caller frees them) gets each item's acl (set: given). */
int conf_listen_read(struct loader *l, const struct ytree_node *n, const char *path,
		     uint16_t default_port, bool may_be_empty, struct netaddr **list,
		     size_t *list_count, struct netacl **acls, size_t *acl_count);
/* The address prefix at scalar n (path in messages) into *out; what is the
 * item's kind in "expected X, got Y" messages ("an address prefix"). */
int conf_prefix_read(struct loader *l, const struct ytree_node *n, const char *path,
		     const char *what, struct netprefix *out);
/* A list of address prefixes into *out (caller frees) and *out_count. */
int conf_prefixes_read(struct loader *l, const struct ytree_node *n, const char *path,
		       struct netprefix **out, size_t *out_count);
/* Sort the pairs of mapping n into vals[i] for keys[i] (a NULL-terminated
 * list, vals as long and zeroed by the caller). Unknown keys are errors. */
int conf_map_read(struct loader *l, const struct ytree_node *n, const char *path,
		  const char *const *keys, const struct ytree_node **vals);
/* Open entry index of the list named list (zones, checks, ...): its path
 * "list[index]" into path (path_len bytes), its position into *line and
 * *col, and its pairs into vals by keys (conf_map_read()). n must be a
 * mapping; expect names its required keys in the error otherwise. */
int conf_entry_open(struct loader *l, const struct ytree_node *n, const char *list, size_t index,
		    const char *expect, const char *const *keys, const struct ytree_node **vals,
		    char *path, size_t path_len, unsigned *line, unsigned *col);
/* Read the identifier of an entry of a list of named mappings, required and
 * unlike those of the earlier entries (see conf_read.c); *out gets a copy. */
int conf_entry_id_read(struct loader *l, const struct ytree_node *entry,
		       const struct ytree_node *id, const char *path, const char *key,
		       const char *what, const char *what_id, const void *first, size_t stride,
		       size_t name_off, size_t line_off, size_t index, char **out);
/* A decimal number (sign, digits, fraction, exponent) min..max. */
int conf_degrees_read(struct loader *l, const struct ytree_node *n, const char *path, double min,
		      double max, double *out);
/* latitude and longitude of the entry n at path (lat, lon: their value
 * nodes, or NULL), both required, into *lat_out and *lon_out. */
int conf_position_read(struct loader *l, const struct ytree_node *n, const char *path,
		       const struct ytree_node *lat, const struct ytree_node *lon, double *lat_out,
		       double *lon_out);
/* A name of a datacenter, region or pool: 1..63 of [A-Za-z0-9_.-]. */
int conf_ident_read(struct loader *l, const struct ytree_node *n, const char *path,
		    const char *what);
/* One of the NULL-terminated words; *out gets its index. expect lists them
 * for the message. */
int conf_keyword_read(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *const *words, const char *expect, unsigned *out);
/* A list section that may be absent: "key:" (null) or a sequence. */
int conf_section_list(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *what);
/* Reads entry index of a list section, the mapping n. */
typedef int conf_entry_read_fn(struct loader *l, const struct ytree_node *n, size_t index);
/* Read each item of the list section n (a sequence) with read, in order,
 * counting it in *count before reading it so that config_free() sees a
 * half-read entry. Stops at the first error. */
int conf_entries_read(struct loader *l, const struct ytree_node *n, size_t *count,
		      conf_entry_read_fn *read);
/* A boolean. */
int conf_bool_read(struct loader *l, const struct ytree_node *n, const char *path, bool *out);
/* Is s 1..max bytes, each in ok (or, when ok is NULL, printable ASCII but
 * not a space)? */
bool conf_text_is_valid(const char *s, const char *ok, size_t max);

/* conf_defences.c: an access list {allow, deny, action} at path into *out
 * (whose lists it replaces). */
int conf_acl_read(struct loader *l, const struct ytree_node *n, const char *path,
		  struct netacl *out);
/* A deep copy of src into dst (whose lists it frees first). */
void conf_acl_copy(struct netacl *dst, const struct netacl *src);
int conf_server_xdp_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n);
int conf_server_acl_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n);
int conf_api_acl_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n);
int conf_etcd_endpoints_read(struct loader *l, const struct ytree_node *key,
			     const struct ytree_node *n);
int conf_rrl_exempt_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n);
/* cookies.secret, cookies.secret_file, cookies.previous_secret or
 * cookies.previous_secret_file, whose key is key. */
int conf_cookies_secret_read(struct loader *l, const struct ytree_node *key,
			     const struct ytree_node *n);
/* After the sections: the cookie secret (a random one if none is given)
 * and each listener's access list. */
int conf_defences_finish(struct loader *l);

/* conf_keys.c: the keys (list n, or NULL) and the key files (key_file, or
 * NULL) into config->tsig_keys; read before anything that names a key. */
int conf_keys_read(struct loader *l, const struct ytree_node *keys,
		   const struct ytree_node *key_file);
/* A transfer access list: items an address prefix, or {address, key} (the
 * key the request must be signed with). *out and *out_keys (caller frees)
 * get *out_count entries. */
int conf_transfer_acl_read(struct loader *l, const struct ytree_node *n, const char *path,
			   struct netprefix **out, int **out_keys, size_t *out_count);
/* A list of secondaries to notify: items an address[:port], or {address,
 * key}. *out (caller frees) gets *out_count entries. */
int conf_notify_read(struct loader *l, const struct ytree_node *n, const char *path,
		     struct config_notify **out, size_t *out_count);
int conf_server_notify_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n);

/* The sections; each reads its value n, or checks what the file set. */
int conf_server_listen_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n);
int conf_server_allow_transfer_read(struct loader *l, const struct ytree_node *key,
				    const struct ytree_node *n);
int conf_api_listen_read(struct loader *l, const struct ytree_node *key,
			 const struct ytree_node *n);
/* api.admin_token or api.admin_token_file, whose key is key. */
int conf_api_token_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n);
/* An admin token shorter than 16 characters only when the listeners with
 * the admin role are all on loopback. */
int conf_api_check(struct loader *l);
/* geoip (its node): both coordinates read, or neither; and at least one field. */
int conf_geoip_check(struct loader *l, const struct ytree_node *geoip);
/* health.quorum can be met by the configured probes. */
int conf_health_check(struct loader *l);
/* load.low_water is lower than load.high_water. */
int conf_load_check(struct loader *l);
int conf_zones_read(struct loader *l, const struct ytree_node *n);
int conf_checks_read(struct loader *l, const struct ytree_node *n);
/* Index of the check called name, or -1. */
long conf_check_find(const struct config *cfg, const char *name);
int conf_datacenters_read(struct loader *l, const struct ytree_node *n);
int conf_probes_read(struct loader *l, const struct ytree_node *n);
/* A secret given as secret (the text) or secret_file (its first line), the
 * nodes of the entry n at path (NULL when absent): 16..1024 bytes without
 * control characters, into *out (*out_len bytes; the caller frees and
 * wipes). Both given is an error, neither too when required. */
int conf_secret_pair_read(struct loader *l, const struct ytree_node *n, const char *path,
			  const struct ytree_node *secret, const struct ytree_node *file,
			  bool required, uint8_t **out, size_t *out_len);
int conf_alerts_read(struct loader *l, const struct ytree_node *n);
/* tokens (after datacenters and pools, which they name). */
int conf_tokens_read(struct loader *l, const struct ytree_node *n);
/* pools, then their fallbacks resolved. */
int conf_pools_read(struct loader *l, const struct ytree_node *n);
/* Index of the pool called name, or -1. */
long conf_pool_find(const struct config *cfg, const char *name);
/* A list of datacenter names at path into *out (caller frees): each known,
 * none twice. When pool is not NULL each must also be one of its
 * datacenters. */
int conf_dc_list_read(struct loader *l, const struct ytree_node *n, const char *path,
		      const struct config_pool *pool, size_t **out, size_t *out_count);
int conf_names_read(struct loader *l, const struct ytree_node *n);
/* conf_dnstap.c: dnstap.rcodes; dnstap.zones (kept for conf_dnstap_check()). */
int conf_dnstap_rcodes_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n);
int conf_dnstap_zones_read(struct loader *l, const struct ytree_node *key,
			   const struct ytree_node *n);
/* After the zones: dnstap.zones names served zones; at most one sink, and
 * it can be written (the file or its folder is writable, the socket's
 * folder exists, the TCP address parses). */
int conf_dnstap_check(struct loader *l);

#endif
