/* Zone transfers in: queries, responses, IXFR differences, zone files. */
#include <config.h>

#include "zones/xfr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/err.h"
#include "common/xalloc.h"

/* Where an IXFR's records go (RFC 1995 section 4). */
enum ixfr_state {
	ST_FIRST,  /* before the first record: the primary's SOA */
	ST_SECOND, /* after it: a SOA opens the differences, anything else is an AXFR */
	ST_AXFR,   /* whole-zone records, until the SOA again */
	ST_DELETE, /* a deletion sequence (opened by the old SOA) */
	ST_ADD,    /* an addition sequence (opened by the new SOA) */
	ST_DONE,
};

struct zone_xfr {
	enum zone_xfr_kind kind;
	uint16_t id;       /* message id */
	ldns_rdf *origin;  /* the zone */
	ldns_rr *base_soa; /* IXFR: the SOA of the base version */
	ldns_rr_list *rrs; /* the zone being built: the base's records for IXFR */
	ldns_rr *soa;      /* its SOA (owned; not in rrs) */
	uint32_t serial;   /* the primary's serial */
	uint32_t version;  /* IXFR: the serial the differences have reached */
	enum ixfr_state state;
	size_t messages;   /* messages taken */
	bool has_zone;     /* a zone to write */
	const char *style; /* for logs */
};

bool zone_serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* A SOA with its seven fields, the five numbers 4 bytes each (ldns
 * leaves fields out of short RDATA). */
static bool soa_ok(const ldns_rr *soa)
{
	if (ldns_rr_rd_count(soa) != 7)
		return false;
	for (size_t i = 2; i < 7; i++) {
		const ldns_rdf *f = ldns_rr_rdf(soa, i);

		if (f == NULL || ldns_rdf_size(f) != 4)
			return false;
	}
	return true;
}

static uint32_t soa_serial(const ldns_rr *soa)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
}

/* Read the zone file at path: its records (without the SOA) and SOA. */
static int read_zone(const char *path, const ldns_rdf *origin, ldns_rr_list **rrs, ldns_rr **soa,
		     struct gslb_err *err)
{
	ldns_zone *z = NULL;
	ldns_status st;
	int line = 1;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		int e = errno;

		return gslb_err_setc(err, e == ENOENT ? GSLB_ENOENT : GSLB_EIO,
				     "%s: cannot open: %s", path, strerror(e));
	}
	st = ldns_zone_new_frm_fp_l(&z, fp, origin, 3600, LDNS_RR_CLASS_IN, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK)
		return gslb_err_setc(err, GSLB_EPARSE, "%s:%d: %s", path, line,
				     ldns_get_errorstr_by_id(st));
	if (ldns_zone_soa(z) == NULL || !soa_ok(ldns_zone_soa(z))) {
		ldns_zone_deep_free(z);
		return gslb_err_setc(err, GSLB_EPARSE, "%s: no SOA record, or a malformed one",
				     path);
	}
	*soa = ldns_rr_clone(ldns_zone_soa(z));
	if (rrs != NULL)
		*rrs = ldns_rr_list_clone(ldns_zone_rrs(z));
	ldns_zone_deep_free(z);
	return 0;
}

int zone_file_soa(const char *path, const char *origin, uint32_t *serial, uint32_t *refresh,
		  uint32_t *retry, uint32_t *expire, struct gslb_err *err)
{
	ldns_rdf *o = NULL;
	ldns_rr *soa = NULL;
	int rc;

	if (ldns_str2rdf_dname(&o, origin) != LDNS_STATUS_OK)
		return gslb_err_setc(err, GSLB_EINVAL, "invalid zone name '%s'", origin);
	rc = read_zone(path, o, NULL, &soa, err);
	ldns_rdf_deep_free(o);
	if (rc != 0)
		return rc;
	*serial = soa_serial(soa);
	if (refresh != NULL)
		*refresh = ldns_rdf2native_int32(ldns_rr_rdf(soa, 3));
	if (retry != NULL)
		*retry = ldns_rdf2native_int32(ldns_rr_rdf(soa, 4));
	if (expire != NULL)
		*expire = ldns_rdf2native_int32(ldns_rr_rdf(soa, 5));
	ldns_rr_free(soa);
	return 0;
}

int zone_catalog_members(const char *path, const char *origin, char ***members, size_t *count,
			 struct gslb_err *err)
{
	ldns_rdf *o = NULL, *zones = NULL, *version = NULL;
	ldns_rr_list *rrs = NULL;
	ldns_rr *soa = NULL;
	char **list = NULL;
	size_t n = 0;
	int rc;

	if (ldns_str2rdf_dname(&o, origin) != LDNS_STATUS_OK)
		return gslb_err_setc(err, GSLB_EINVAL, "invalid zone name '%s'", origin);
	rc = read_zone(path, o, &rrs, &soa, err);
	if (rc != 0) {
		ldns_rdf_deep_free(o);
		return rc;
	}
	zones = ldns_dname_new_frm_str("zones");
	version = ldns_dname_new_frm_str("version");
	(void)ldns_dname_cat(zones, o);
	(void)ldns_dname_cat(version, o);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs) && rc == 0; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT &&
		    ldns_dname_compare(owner, version) == 0) {
			char *v = ldns_rdf2str(ldns_rr_rdf(rr, 0));

			if (v == NULL || strcmp(v, "\"2\"") != 0)
				rc =
				    gslb_err_setc(err, GSLB_EPARSE,
						  "%s: catalog schema version %s, not 2 (RFC 9432)",
						  path, v != NULL ? v : "?");
			free(v);
			continue;
		}
		/* Members: PTR at <unique-id>.zones.<catalog>, one label below. */
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_PTR ||
		    ldns_dname_label_count(owner) != ldns_dname_label_count(zones) + 1 ||
		    !ldns_dname_is_subdomain(owner, zones)) {
			continue;
		}
		{
			char *m = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			size_t len = m != NULL ? strlen(m) : 0;
			bool dup = false;

			if (m == NULL)
				continue;
			if (len > 1 && m[len - 1] == '.')
				m[len - 1] = '\0';
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcasecmp(list[k], m) == 0;
			if (dup) {
				free(m);
				continue;
			}
			list = xreallocarray(list, n + 1, sizeof(*list));
			list[n++] = m;
		}
	}
	ldns_rdf_deep_free(zones);
	ldns_rdf_deep_free(version);
	ldns_rdf_deep_free(o);
	ldns_rr_list_deep_free(rrs);
	ldns_rr_free(soa);
	if (rc != 0) {
		for (size_t k = 0; k < n; k++)
			free(list[k]);
		free(list);
		return rc;
	}
	*members = list;
	*count = n;
	return 0;
}

int zone_xfr_new(const char *origin, enum zone_xfr_kind kind, const char *base, uint16_t id,
		 struct zone_xfr **out, struct gslb_err *err)
{
	struct zone_xfr *x = xcalloc(1, sizeof(*x));
	int rc;

	x->kind = kind;
	x->id = id;
	x->state = ST_FIRST;
	x->style = kind == ZONE_XFR_SOA ? "soa" : "axfr";
	if (ldns_str2rdf_dname(&x->origin, origin) != LDNS_STATUS_OK) {
		free(x);
		return gslb_err_setc(err, GSLB_EINVAL, "invalid zone name '%s'", origin);
	}
	ldns_dname2canonical(x->origin);
	if (kind == ZONE_XFR_IXFR) {
		rc = read_zone(base, x->origin, &x->rrs, &x->base_soa, err);
		if (rc != 0) {
			zone_xfr_free(x);
			return rc;
		}
		x->version = soa_serial(x->base_soa);
	}
	*out = x;
	return 0;
}

void zone_xfr_free(struct zone_xfr *x)
{
	if (x == NULL)
		return;
	ldns_rdf_deep_free(x->origin);
	ldns_rr_free(x->base_soa);
	ldns_rr_list_deep_free(x->rrs);
	ldns_rr_free(x->soa);
	free(x);
}

int zone_xfr_query(const struct zone_xfr *x, uint8_t **out, size_t *len, struct gslb_err *err)
{
	static const ldns_rr_type types[] = {LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_AXFR,
					     LDNS_RR_TYPE_IXFR};
	ldns_pkt *p =
	    ldns_pkt_query_new(ldns_rdf_clone(x->origin), types[x->kind], LDNS_RR_CLASS_IN, 0);
	ldns_status st;

	if (p == NULL)
		return gslb_err_setc(err, GSLB_EINVAL, "cannot make the query");
	ldns_pkt_set_id(p, x->id);
	if (x->kind == ZONE_XFR_IXFR) {
		/* RFC 1995 3: the version held, as a SOA in the authority section. */
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ldns_rr_clone(x->base_soa));
	}
	st = ldns_pkt2wire(out, p, len);
	ldns_pkt_free(p);
	if (st != LDNS_STATUS_OK)
		return gslb_err_setc(err, GSLB_EINVAL, "cannot make the query: %s",
				     ldns_get_errorstr_by_id(st));
	return 0;
}

/* Is rr in the zone (at or below the origin, class IN)? */
static bool in_zone(const struct zone_xfr *x, const ldns_rr *rr)
{
	return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       (ldns_dname_compare(ldns_rr_owner(rr), x->origin) == 0 ||
		ldns_dname_is_subdomain(ldns_rr_owner(rr), x->origin));
}

/* Same record: owner (any case), type, class and RDATA; the TTL aside. */
static bool same_rr(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_rr_get_class(a) == ldns_rr_get_class(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0 &&
	       ldns_rr_compare(a, b) == 0;
}

static int delete_rr(struct zone_xfr *x, const ldns_rr *rr, struct gslb_err *err)
{
	size_t n = ldns_rr_list_rr_count(x->rrs);

	for (size_t i = 0; i < n; i++) {
		ldns_rr *have = ldns_rr_list_rr(x->rrs, i);

		if (!same_rr(have, rr))
			continue;
		/* The last one takes its place. */
		ldns_rr_list_set_rr(x->rrs, ldns_rr_list_rr(x->rrs, n - 1), i);
		(void)ldns_rr_list_pop_rr(x->rrs);
		ldns_rr_free(have);
		return 0;
	}
	{
		char *s = ldns_rr2str(rr);

		gslb_err_setc(err, GSLB_ECONFLICT, "IXFR deletes a record the zone lacks: %s",
			      s != NULL ? s : "?");
		free(s);
	}
	return GSLB_ECONFLICT;
}

/* One record of an AXFR or IXFR response. */
static int take_rr(struct zone_xfr *x, const ldns_rr *rr, struct gslb_err *err)
{
	bool is_soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;

	if (!in_zone(x, rr))
		return gslb_err_setc(err, GSLB_EPARSE,
				     "a record outside the zone (or not class IN)");
	if (is_soa && ldns_dname_compare(ldns_rr_owner(rr), x->origin) != 0)
		return gslb_err_setc(err, GSLB_EPARSE, "a SOA record below the apex");
	if (is_soa && !soa_ok(rr))
		return gslb_err_setc(err, GSLB_EPARSE, "a malformed SOA record");
	switch (x->state) {
	case ST_FIRST:
		if (!is_soa)
			return gslb_err_setc(err, GSLB_EPARSE,
					     "the transfer does not open with the zone's SOA");
		x->serial = soa_serial(rr);
		x->soa = ldns_rr_clone(rr);
		x->state = ST_SECOND;
		return 0;
	case ST_SECOND:
		if (x->kind == ZONE_XFR_IXFR && is_soa) {
			/* Differences: this SOA opens the first deletion sequence. */
			if (soa_serial(rr) != x->version)
				return gslb_err_setc(err, GSLB_ECONFLICT,
						     "IXFR from serial %u, the zone has %u",
						     soa_serial(rr), x->version);
			x->style = "ixfr";
			x->state = ST_DELETE;
			return 0;
		}
		/* The whole zone (an IXFR may be answered so, RFC 1995 4). */
		if (x->kind == ZONE_XFR_IXFR) {
			x->style = "ixfr-axfr";
			ldns_rr_list_deep_free(x->rrs);
		}
		x->rrs = ldns_rr_list_new();
		x->state = ST_AXFR;
		if (is_soa) {
			x->state = ST_DONE; /* SOA, SOA: an empty zone */
			return 0;
		}
		ldns_rr_list_push_rr(x->rrs, ldns_rr_clone(rr));
		return 0;
	case ST_AXFR:
		if (is_soa) {
			x->state = ST_DONE;
			return 0;
		}
		ldns_rr_list_push_rr(x->rrs, ldns_rr_clone(rr));
		return 0;
	case ST_DELETE:
		if (is_soa) {
			/* The addition sequence of the version this SOA names. */
			x->version = soa_serial(rr);
			ldns_rr_free(x->base_soa);
			x->base_soa = ldns_rr_clone(rr);
			x->state = ST_ADD;
			return 0;
		}
		return delete_rr(x, rr, err);
	case ST_ADD:
		if (is_soa) {
			if (x->version == x->serial && soa_serial(rr) == x->serial) {
				x->state = ST_DONE;
				return 0;
			}
			if (soa_serial(rr) != x->version)
				return gslb_err_setc(err, GSLB_EPARSE,
						     "IXFR deletion sequence from serial %u after "
						     "reaching %u",
						     soa_serial(rr), x->version);
			x->state = ST_DELETE;
			return 0;
		}
		ldns_rr_list_push_rr(x->rrs, ldns_rr_clone(rr));
		return 0;
	case ST_DONE:
		break;
	}
	return gslb_err_setc(err, GSLB_EPARSE, "records after the end of the transfer");
}

int zone_xfr_feed(struct zone_xfr *x, const uint8_t *msg, size_t len, struct gslb_err *err)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	ldns_status st = ldns_wire2pkt(&p, msg, len);
	int rc = 0;

	if (st != LDNS_STATUS_OK)
		return gslb_err_setc(err, GSLB_EPARSE, "malformed response: %s",
				     ldns_get_errorstr_by_id(st));
	if (ldns_pkt_id(p) != x->id || !ldns_pkt_qr(p)) {
		rc = gslb_err_setc(err, GSLB_EPARSE,
				   "a response with another id, or not a response");
		goto out;
	}
	if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
		char *r = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));

		rc = gslb_err_setc(err, GSLB_EUNAVAIL, "the primary answered %s",
				   r != NULL ? r : "?");
		free(r);
		goto out;
	}
	if (x->messages == 0 || ldns_pkt_qdcount(p) > 0) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);

		if (q == NULL || ldns_dname_compare(ldns_rr_owner(q), x->origin) != 0) {
			rc = gslb_err_setc(err, GSLB_EPARSE, "a response to another question");
			goto out;
		}
	}
	x->messages++;
	an = ldns_pkt_answer(p);
	if (x->kind == ZONE_XFR_SOA) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
			    ldns_dname_compare(ldns_rr_owner(rr), x->origin) == 0 && soa_ok(rr)) {
				x->serial = soa_serial(rr);
				x->state = ST_DONE;
				goto out;
			}
		}
		rc = gslb_err_setc(err, GSLB_EPARSE, "no SOA in the answer (not authoritative?)");
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && rc == 0; i++)
		rc = take_rr(x, ldns_rr_list_rr(an, i), err);
	if (rc != 0)
		goto out;
	if (x->state == ST_SECOND && x->kind == ZONE_XFR_IXFR) {
		/* The primary's SOA alone ends the message: nothing newer (RFC 1995 4),
		 * or a serial to come by AXFR. */
		if (!zone_serial_newer(x->serial, x->version)) {
			x->style = "current";
			x->state = ST_DONE;
		} else {
			rc = gslb_err_setc(err, GSLB_ECONFLICT,
					   "IXFR answered with serial %u alone, the zone has %u",
					   x->serial, x->version);
		}
	}
out:
	ldns_pkt_free(p);
	if (rc != 0)
		return rc;
	if (x->state != ST_DONE)
		return ZONE_XFR_MORE;
	if (x->kind != ZONE_XFR_SOA && strcmp(x->style, "current") != 0) {
		x->has_zone = true;
		if (x->kind == ZONE_XFR_IXFR && strcmp(x->style, "ixfr") == 0) {
			ldns_rr_free(x->soa);
			x->soa = ldns_rr_clone(x->base_soa);
		}
	}
	return 0;
}

uint32_t zone_xfr_serial(const struct zone_xfr *x)
{
	return x->serial;
}

bool zone_xfr_has_zone(const struct zone_xfr *x)
{
	return x->has_zone;
}

const char *zone_xfr_style(const struct zone_xfr *x)
{
	return x->style;
}

size_t zone_xfr_rr_count(const struct zone_xfr *x)
{
	return (x->soa != NULL ? 1 : 0) + (x->rrs != NULL ? ldns_rr_list_rr_count(x->rrs) : 0);
}

int zone_xfr_write(const struct zone_xfr *x, const char *path, struct gslb_err *err)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + 16);
	FILE *fp;
	int fd, e;

	if (!x->has_zone) {
		free(tmp);
		return gslb_err_setc(err, GSLB_EINVAL, "no zone to write");
	}
	snprintf(tmp, plen + 16, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		if (fd >= 0)
			close(fd);
		gslb_err_setc(err, GSLB_EIO, "%s: cannot create: %s", tmp, strerror(e));
		free(tmp);
		return GSLB_EIO;
	}
	(void)fchmod(fd, 0644);
	ldns_rr_print(fp, x->soa);
	for (size_t i = 0; x->rrs != NULL && i < ldns_rr_list_rr_count(x->rrs); i++)
		ldns_rr_print(fp, ldns_rr_list_rr(x->rrs, i));
	if (fflush(fp) != 0 || ferror(fp) || fsync(fd) != 0) {
		e = errno;
		fclose(fp);
		unlink(tmp);
		gslb_err_setc(err, GSLB_EIO, "%s: cannot write: %s", tmp, strerror(e));
		free(tmp);
		return GSLB_EIO;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		gslb_err_setc(err, GSLB_EIO, "%s: cannot put in place: %s", path, strerror(e));
		free(tmp);
		return GSLB_EIO;
	}
	free(tmp);
	return 0;
}
