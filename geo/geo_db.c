#include <config.h>

#include "geo/geo_db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <maxminddb.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/xalloc.h"
#include "geo/geo-internal.h"

/* The fields of a layout, in the order of struct geo_layout. */
enum {
	FIELD_LAT,
	FIELD_LON,
	FIELD_COUNTRY,
	FIELD_CONTINENT,
	FIELD_COUNT,
};

static const char *const field_names[FIELD_COUNT] = {"latitude", "longitude", "country",
						     "continent"};

/* What tells one version of a file from another without reading it. */
struct file_id {
	dev_t dev;             /* device */
	ino_t ino;             /* inode */
	off_t size;            /* length in bytes */
	struct timespec mtime; /* last write */
	struct timespec ctime; /* last change of data or inode, not settable */
};

struct geo_db {
	MMDB_s mmdb;              /* the private copy, mapped; read-only after open */
	char *path;               /* file name, for messages */
	struct file_id file;      /* the file the copy was read from, as it was then */
	uint64_t digest;          /* geo_db_digest() */
	struct geo_layout layout; /* private copy; paths[] point into it */
	/* NULL-terminated key lists for MMDB_aget_value(), one per field;
	 * paths[f][0] == NULL when the field is not read */
	const char *paths[FIELD_COUNT][GEO_PATH_MAX_KEYS + 1];
	uint32_t gen; /* generation of this open, never 0: tags struct geo_cache entries */
};

_Static_assert(GEO_CACHE_BITS >= 1 && GEO_CACHE_BITS <= 16, "GEO_CACHE_BITS out of range");
_Static_assert(GEO_NET_CACHE_BITS >= 2 && GEO_NET_CACHE_BITS <= 16,
	       "GEO_NET_CACHE_BITS out of range");
_Static_assert(sizeof(struct geo_net_entry) == 64, "a geo_net_entry is one cache line");

/* The generation of the last open database. */
static atomic_uint_least32_t last_gen;

static const struct geo_path *layout_field(const struct geo_layout *l, int f)
{
	switch (f) {
	case FIELD_LAT:
		return &l->latitude;
	case FIELD_LON:
		return &l->longitude;
	case FIELD_COUNTRY:
		return &l->country;
	default:
		return &l->continent;
	}
}

static void set_path(struct geo_path *p, unsigned count, const char *const *keys)
{
	memset(p, 0, sizeof(*p));
	p->count = count;
	for (unsigned i = 0; i < count; i++)
		strcpy(p->keys[i], keys[i]);
}

void geo_layout_city(struct geo_layout *out)
{
	static const char *const lat[] = {"location", "latitude"};
	static const char *const lon[] = {"location", "longitude"};
	static const char *const country[] = {"country", "iso_code"};
	static const char *const continent[] = {"continent", "code"};

	set_path(&out->latitude, 2, lat);
	set_path(&out->longitude, 2, lon);
	set_path(&out->country, 2, country);
	set_path(&out->continent, 2, continent);
}

void geo_layout_flat(struct geo_layout *out)
{
	static const char *const lat[] = {"latitude"};
	static const char *const lon[] = {"longitude"};
	static const char *const country[] = {"country_code"};
	static const char *const continent[] = {"continent_code"};

	set_path(&out->latitude, 1, lat);
	set_path(&out->longitude, 1, lon);
	set_path(&out->country, 1, country);
	set_path(&out->continent, 1, continent);
}

int geo_layout_parse_path(const char *dotted, struct geo_path *out, struct gslb_err *err)
{
	struct geo_path p;
	const char *s = dotted;

	memset(&p, 0, sizeof(p));
	if (*s == '\0') {
		*out = p;
		return 0;
	}
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot != NULL ? (size_t)(dot - s) : strlen(s);

		if (len == 0)
			return gslb_err_setc(err, GSLB_EINVAL, "data path '%s': empty key", dotted);
		if (len >= GEO_KEY_SIZE)
			return gslb_err_setc(err, GSLB_EINVAL,
					     "data path '%s': key longer than %d bytes", dotted,
					     GEO_KEY_SIZE - 1);
		if (p.count == GEO_PATH_MAX_KEYS)
			return gslb_err_setc(err, GSLB_EINVAL, "data path '%s': more than %d keys",
					     dotted, GEO_PATH_MAX_KEYS);
		memcpy(p.keys[p.count], s, len);
		p.keys[p.count][len] = '\0';
		p.count++;
		if (dot == NULL)
			break;
		s = dot + 1;
	}
	*out = p;
	return 0;
}

void geo_path_format(const struct geo_path *path, char *buf, size_t buf_len)
{
	size_t used = 0;

	if (buf_len == 0)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < path->count && i < GEO_PATH_MAX_KEYS; i++) {
		size_t klen = strnlen(path->keys[i], GEO_KEY_SIZE);
		size_t need = klen + (i > 0 ? 1 : 0);

		if (used + need >= buf_len)
			break;
		if (i > 0)
			buf[used++] = '.';
		memcpy(buf + used, path->keys[i], klen);
		used += klen;
		buf[used] = '\0';
	}
}

/* Check that a layout can be used. Returns 0 or GSLB_EINVAL with err set
 * (without the file name). */
static int layout_check(const struct geo_layout *l, struct gslb_err *err)
{
	bool any = false;

	for (int f = 0; f < FIELD_COUNT; f++) {
		const struct geo_path *p = layout_field(l, f);

		if (p->count > GEO_PATH_MAX_KEYS)
			return gslb_err_setc(err, GSLB_EINVAL,
					     "layout: %s path has %u keys, at most %d allowed",
					     field_names[f], p->count, GEO_PATH_MAX_KEYS);
		for (unsigned i = 0; i < p->count; i++) {
			if (memchr(p->keys[i], '\0', GEO_KEY_SIZE) == NULL)
				return gslb_err_setc(err, GSLB_EINVAL,
						     "layout: %s path: key %u is not terminated",
						     field_names[f], i + 1);
			if (p->keys[i][0] == '\0')
				return gslb_err_setc(err, GSLB_EINVAL,
						     "layout: %s path: key %u is empty",
						     field_names[f], i + 1);
		}
		if (p->count > 0)
			any = true;
	}
	if ((l->latitude.count == 0) != (l->longitude.count == 0))
		return gslb_err_setc(err, GSLB_EINVAL,
				     "layout: latitude and longitude must be read together");
	if (!any)
		return gslb_err_setc(err, GSLB_EINVAL, "layout: no field to read");
	return 0;
}

static uint64_t digest_of(const struct geo_db *db);

static void file_id_of(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Copy all of fd (a regular file whose fstat() gave *before) into the
 * memory file mfd. Returns 0, 1 when the file changed while being read, or
 * a negative code with err set (without the file name). */
static int copy_file(int fd, int mfd, const struct file_id *before, struct gslb_err *err)
{
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = xmalloc(CHUNK);
	struct file_id after;
	struct stat st;
	off_t total = 0;
	int rc = 0;

	for (;;) {
		ssize_t n = read(fd, buf, CHUNK), put = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gslb_err_setc(err, GSLB_EIO, "cannot read: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		while (put < n) {
			ssize_t w = write(mfd, buf + put, (size_t)(n - put));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = gslb_err_setc(err, GSLB_EIO, "cannot copy into memory: %s",
						   w < 0 ? strerror(errno) : "short write");
				goto done;
			}
			put += w;
		}
		total += n;
		if (total > before->size)
			break;
	}
	if (fstat(fd, &st) != 0) {
		rc = gslb_err_setc(err, GSLB_EIO, "cannot read: %s", strerror(errno));
		goto done;
	}
	file_id_of(&st, &after);
	if (total != before->size || !file_id_eq(before, &after))
		rc = 1;
done:
	free(buf);
	return rc;
}

/* Read the file at path into a sealed memory file, so that what gets mapped
 * can never change: writes to the file (even truncating it in place) reach
 * nothing gslbd reads. Returns 0 with *mfd (caller closes it) and *id, or a
 * negative code with err set ("path: ..."). */
static int read_private_copy(const char *path, int *mfd, struct file_id *id, struct gslb_err *err)
{
	/* A file being written in place may be read half old, half new:
	 * read again, a few times, and then refuse it. */
	for (int attempt = 0; attempt < 3; attempt++) {
		struct stat st;
		int fd, m, rc;

		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			int e = errno;

			return gslb_err_setc(err, e == ENOENT ? GSLB_ENOENT : GSLB_EIO,
					     "%s: cannot open: %s", path, strerror(e));
		}
		if (fstat(fd, &st) != 0) {
			rc = gslb_err_setc(err, GSLB_EIO, "%s: cannot open: %s", path,
					   strerror(errno));
			close(fd);
			return rc;
		}
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			return gslb_err_setc(err, GSLB_EIO, "%s: cannot open: not a regular file",
					     path);
		}
		if (st.st_size == 0) {
			close(fd);
			return gslb_err_setc(err, GSLB_EIO, "%s: cannot open: the file is empty",
					     path);
		}
		file_id_of(&st, id);
		m = memfd_create("gslbd-geoip", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (m < 0) {
			rc = gslb_err_setc(err, GSLB_EIO,
					   "%s: cannot make a private copy: memfd_create: %s", path,
					   strerror(errno));
			close(fd);
			return rc;
		}
		rc = copy_file(fd, m, id, err);
		close(fd);
		if (rc == 0 && fcntl(m, F_ADD_SEALS,
				     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
			rc = gslb_err_setc(err, GSLB_EIO, "cannot seal the private copy: %s",
					   strerror(errno));
		if (rc == 0) {
			*mfd = m;
			return 0;
		}
		close(m);
		if (rc < 0) {
			gslb_err_prefix(err, "%s", path);
			return rc;
		}
	}
	return gslb_err_setc(err, GSLB_EIO,
			     "%s: cannot open: the file kept changing while being read "
			     "(written in place? replace it by renaming a new file over it)",
			     path);
}

int geo_db_open(const char *path, const struct geo_layout *layout, struct geo_db **out,
		struct gslb_err *err)
{
	struct geo_layout city;
	struct geo_db *db = NULL;
	struct file_id id;
	char copy[64];
	int rc, status, mfd = -1;

	if (layout == NULL) {
		geo_layout_city(&city);
		layout = &city;
	}
	rc = layout_check(layout, err);
	if (rc != 0) {
		gslb_err_prefix(err, "%s", path);
		return rc;
	}
	rc = read_private_copy(path, &mfd, &id, err);
	if (rc != 0)
		return rc;

	/* libmaxminddb maps a file by name: give it the memory file's. */
	snprintf(copy, sizeof(copy), "/proc/self/fd/%d", mfd);
	db = xcalloc(1, sizeof(*db));
	errno = 0;
	status = MMDB_open(copy, MMDB_MODE_MMAP, &db->mmdb);
	close(mfd);
	if (status != MMDB_SUCCESS) {
		if (status == MMDB_FILE_OPEN_ERROR)
			rc = gslb_err_setc(err, GSLB_EIO,
					   "%s: cannot open the private copy through /proc/self/fd "
					   "(is /proc mounted?): %s",
					   path, strerror(errno));
		else
			rc = gslb_err_setc(err, GSLB_EIO, "%s: cannot open: %s", path,
					   MMDB_strerror(status));
		free(db);
		return rc;
	}
	db->path = xstrdup(path);
	db->file = id;
	db->layout = *layout;
	do
		db->gen = (uint32_t)(atomic_fetch_add(&last_gen, 1) + 1);
	while (db->gen == 0);
	for (int f = 0; f < FIELD_COUNT; f++) {
		const struct geo_path *p = layout_field(&db->layout, f);

		for (unsigned i = 0; i < p->count; i++)
			db->paths[f][i] = p->keys[i];
		db->paths[f][p->count] = NULL;
	}

	/* Older libmaxminddb versions find the start of the IPv4 subtree
	 * lazily, writing into the MMDB_s on the first IPv4 lookup. Do that
	 * lookup now, on this thread, so that later lookups only read, and so
	 * that a broken search tree shows up at open time. */
	if (db->mmdb.metadata.ip_version == 6) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		(void)MMDB_lookup_sockaddr(&db->mmdb, (const struct sockaddr *)&sin, &status);
		if (status != MMDB_SUCCESS) {
			rc = gslb_err_setc(err, GSLB_EIO, "%s: cannot open: %s", path,
					   MMDB_strerror(status));
			geo_db_close(db);
			return rc;
		}
	}
	/* Nothing corrupt may reach a lookup: check all of it now. */
	rc = geo_mmdb_verify(&db->mmdb, err);
	if (rc != 0) {
		gslb_err_prefix(err, "%s", path);
		geo_db_close(db);
		return rc;
	}
	db->digest = digest_of(db);
	*out = db;
	return 0;
}

bool geo_db_file_unchanged(const struct geo_db *db, const char *path,
			   const struct geo_layout *layout)
{
	struct file_id now;
	struct geo_layout city;
	struct stat st;

	if (layout == NULL) {
		geo_layout_city(&city);
		layout = &city;
	}
	if (strcmp(db->path, path) != 0 || memcmp(&db->layout, layout, sizeof(*layout)) != 0 ||
	    stat(path, &st) != 0)
		return false;
	file_id_of(&st, &now);
	return file_id_eq(&db->file, &now);
}

void geo_db_close(struct geo_db *db)
{
	if (db == NULL)
		return;
	MMDB_close(&db->mmdb);
	free(db->path);
	free(db);
}

const char *geo_db_path(const struct geo_db *db)
{
	return db->path;
}

const char *geo_db_type(const struct geo_db *db)
{
	return db->mmdb.metadata.database_type != NULL ? db->mmdb.metadata.database_type : "";
}

uint64_t geo_db_build_epoch(const struct geo_db *db)
{
	return db->mmdb.metadata.build_epoch;
}

uint64_t geo_db_size(const struct geo_db *db)
{
	return db->mmdb.file_size > 0 ? (uint64_t)db->mmdb.file_size : 0;
}

/* One 64-bit word through splitmix64's finaliser, folded into h. */
static uint64_t digest_mix(uint64_t h, uint64_t w)
{
	w += h + UINT64_C(0x9e3779b97f4a7c15);
	w = (w ^ (w >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	w = (w ^ (w >> 27)) * UINT64_C(0x94d049bb133111eb);
	return w ^ (w >> 31);
}

uint64_t geo_db_digest(const struct geo_db *db)
{
	return db->digest;
}

static uint64_t digest_of(const struct geo_db *db)
{
	const uint8_t *p = db->mmdb.file_content;
	size_t len = db->mmdb.file_size > 0 ? (size_t)db->mmdb.file_size : 0;
	const uint8_t *layout = (const uint8_t *)&db->layout;
	uint64_t h = digest_mix(0, len);
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = digest_mix(h, w);
		/* give back what was read, 4 MiB at a time: the file would
		 * otherwise all count in the resident set */
		if (((i + 8) & 0x3fffff) == 0)
			(void)madvise((void *)(uintptr_t)(p + i + 8 - 0x400000), 0x400000,
				      MADV_DONTNEED);
	}
	for (; i < len; i++)
		h = digest_mix(h, p[i]);
	for (size_t k = 0; k < sizeof(db->layout); k++)
		h = digest_mix(h, layout[k]);
	return h;
}

void geo_db_drop_pages(const struct geo_db *db)
{
	if (db->mmdb.file_content != NULL && db->mmdb.file_size > 0)
		(void)madvise((void *)(uintptr_t)db->mmdb.file_content, (size_t)db->mmdb.file_size,
			      MADV_DONTNEED);
}

int geo_db_ip_version(const struct geo_db *db)
{
	return db->mmdb.metadata.ip_version;
}

/* Read a number at path into *out. False when the path is not read, absent,
 * or holds something else. */
static bool read_number(MMDB_entry_s *entry, const char *const *path, double *out)
{
	MMDB_entry_data_s d;

	if (path[0] == NULL)
		return false;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data)
		return false;
	switch (d.type) {
	case MMDB_DATA_TYPE_DOUBLE:
		*out = d.double_value;
		return true;
	case MMDB_DATA_TYPE_FLOAT:
		*out = (double)d.float_value;
		return true;
	default:
		return false;
	}
}

/* Copy a two-letter code at path into out[3], upper-cased. Leaves out empty
 * when the path is not read, absent, not a string or not two ASCII letters. */
static void read_code(MMDB_entry_s *entry, const char *const *path, char out[3])
{
	MMDB_entry_data_s d;

	out[0] = '\0';
	if (path[0] == NULL)
		return;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return;
	for (int i = 0; i < 2; i++) {
		char c = d.utf8_string[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c < 'A' || c > 'Z')
			return;
		out[i] = c;
	}
	out[2] = '\0';
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

void geo_cache_init(struct geo_cache *c)
{
	memset(c, 0, sizeof(*c));
}

/* Decode the record at entry into *out (found already set). */
static void decode_record(const struct geo_db *db, MMDB_entry_s *entry, struct geo_location *out)
{
	double lat, lon;

	if (read_number(entry, db->paths[FIELD_LAT], &lat) &&
	    read_number(entry, db->paths[FIELD_LON], &lon) && isfinite(lat) && isfinite(lon) &&
	    lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0) {
		out->has_coords = true;
		out->lat = lat;
		out->lon = lon;
	}
	read_code(entry, db->paths[FIELD_COUNTRY], out->country);
	read_code(entry, db->paths[FIELD_CONTINENT], out->continent);
}

/* The slot of record id in a struct geo_cache. Offsets of neighbouring
 * records differ by small multiples of the record size: Fibonacci hashing
 * spreads them. */
static size_t cache_slot(uint32_t id)
{
	return (size_t)((uint32_t)(id * UINT32_C(2654435769)) >> (32 - GEO_CACHE_BITS));
}

/* Decode the record at entry into *out through cache (NULL: none). */
static void decode_cached(const struct geo_db *db, struct geo_cache *cache, MMDB_entry_s *entry,
			  struct geo_location *out)
{
	struct geo_cache_entry *e;

	if (cache == NULL) {
		decode_record(db, entry, out);
		return;
	}
	e = &cache->entries[cache_slot(out->record_id)];
	if (e->gen != db->gen || e->record_id != out->record_id) {
		decode_record(db, entry, out);
		e->gen = db->gen;
		e->record_id = out->record_id;
		e->lat = out->lat;
		e->lon = out->lon;
		memcpy(e->country, out->country, sizeof(e->country));
		memcpy(e->continent, out->continent, sizeof(e->continent));
		e->has_coords = out->has_coords;
		return;
	}
	out->has_coords = e->has_coords;
	out->lat = e->lat;
	out->lon = e->lon;
	memcpy(out->country, e->country, sizeof(out->country));
	memcpy(out->continent, e->continent, sizeof(out->continent));
}

/* The first entry of the set of an address in a struct geo_cache's nets. */
static size_t net_set(bool v6, const uint8_t *addr)
{
	uint64_t a = 0, b = 0;

	if (v6) {
		memcpy(&a, addr, 8);
		memcpy(&b, addr + 8, 8);
	} else {
		uint32_t v;

		memcpy(&v, addr, 4);
		a = v;
	}
	return (size_t)(hash_mix64(a ^ hash_mix64(b + v6)) >> (64 - (GEO_NET_CACHE_BITS - 1))) * 2;
}

/* The entry of set (two entries) holding addr for db, or NULL. */
static const struct geo_net_entry *net_find(const struct geo_db *db, const struct geo_net_entry *set,
					    bool v6, const uint8_t *addr)
{
	for (int w = 0; w < 2; w++) {
		const struct geo_net_entry *n = &set[w];

		/* Constant lengths: the compiler inlines the comparisons. */
		if (n->gen == db->gen && n->v6 == v6 &&
		    (v6 ? memcmp(n->addr, addr, 16) : memcmp(n->addr, addr, 4)) == 0)
			return n;
	}
	return NULL;
}

/* Put what a lookup of addr gave into set: the newer entry first. */
static void net_store(const struct geo_db *db, struct geo_net_entry *set, bool v6,
		      const uint8_t *addr, unsigned netmask, const struct geo_location *loc)
{
	struct geo_net_entry *n = &set[0];

	set[1] = set[0];
	memset(n, 0, sizeof(*n));
	n->gen = db->gen;
	n->record_id = loc->record_id;
	memcpy(n->addr, addr, v6 ? 16 : 4);
	n->v6 = v6;
	n->netmask = (uint8_t)netmask;
	n->found = loc->found;
	n->has_coords = loc->has_coords;
	memcpy(n->country, loc->country, sizeof(n->country));
	memcpy(n->continent, loc->continent, sizeof(n->continent));
	n->lat = loc->lat;
	n->lon = loc->lon;
	memcpy(n->xyz, loc->xyz, sizeof(n->xyz));
}

/* Fill xyz of a located out, in float precision as every lookup does. */
static void set_xyz(struct geo_location *out)
{
	double v[3];

	geo_unit_vector(out->lat, out->lon, v);
	for (int i = 0; i < 3; i++)
		out->xyz[i] = (float)v[i];
}

const MMDB_s *geo_db_mmdb(const struct geo_db *db)
{
	return &db->mmdb;
}

void geo_db_decode_at(const struct geo_db *db, uint32_t offset, struct geo_location *out)
{
	MMDB_entry_s entry;

	memset(out, 0, sizeof(*out));
	entry.mmdb = &db->mmdb;
	entry.offset = offset;
	out->found = true;
	out->record_id = offset;
	decode_record(db, &entry, out);
	if (out->has_coords)
		set_xyz(out);
}

int geo_db_lookup(const struct geo_db *db, int family, const uint8_t *addr,
		  struct geo_location *out)
{
	return geo_db_lookup_cached(db, NULL, family, addr, out);
}

int geo_db_lookup_cached(const struct geo_db *db, struct geo_cache *cache, int family,
			 const uint8_t *addr, struct geo_location *out)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	MMDB_lookup_result_s res;
	struct geo_net_entry *set = NULL; /* the address's set in cache->nets */
	unsigned bias = 0, netmask;
	int status;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET6 && is_v4_mapped(addr)) {
		family = AF_INET;
		addr += 12;
		bias = 96;
	}
	if (family != AF_INET && family != AF_INET6)
		return GSLB_EINVAL;
	/* An IPv4 tree knows nothing of IPv6: the whole space is empty. */
	if (family == AF_INET6 && db->mmdb.metadata.ip_version != 6)
		return 0;

	if (cache != NULL) {
		const struct geo_net_entry *n;

		set = &cache->nets[net_set(family == AF_INET6, addr)];
		n = net_find(db, set, family == AF_INET6, addr);
		if (n != NULL) {
			out->found = n->found;
			out->has_coords = n->has_coords;
			out->lat = n->lat;
			out->lon = n->lon;
			memcpy(out->xyz, n->xyz, sizeof(out->xyz));
			memcpy(out->country, n->country, sizeof(n->country));
			memcpy(out->continent, n->continent, sizeof(n->continent));
			out->prefix_len = (uint8_t)(n->netmask + bias);
			out->record_id = n->record_id;
			return 0;
		}
	}

	memset(&u, 0, sizeof(u));
	if (family == AF_INET) {
		u.sin.sin_family = AF_INET;
		memcpy(&u.sin.sin_addr, addr, 4);
	} else {
		u.sin6.sin6_family = AF_INET6;
		memcpy(&u.sin6.sin6_addr, addr, 16);
	}
	res = MMDB_lookup_sockaddr(&db->mmdb, &u.sa, &status);
	if (status != MMDB_SUCCESS)
		return GSLB_EIO;

	/* IPv4 in an IPv6 tree: libmaxminddb counts from the top of the IPv6
	 * tree, where IPv4 starts at bit 96. Less than 96 means the empty
	 * region holding the address is bigger than ::/96, so the whole IPv4
	 * space is in it. */
	netmask = res.netmask;
	if (family == AF_INET && db->mmdb.metadata.ip_version == 6)
		netmask = netmask >= 96 ? netmask - 96 : 0;
	if (family == AF_INET && netmask > 32)
		netmask = 32;
	else if (netmask > 128)
		netmask = 128;
	out->prefix_len = (uint8_t)(netmask + bias);
	if (res.found_entry) {
		out->found = true;
		out->record_id = res.entry.offset;
		decode_cached(db, cache, &res.entry, out);
	}
	if (out->has_coords)
		set_xyz(out);
	if (set != NULL)
		net_store(db, set, family == AF_INET6, addr, netmask, out);
	return 0;
}

const struct geo_block geo_private_v4[] = {
    {{10, 0, 0, 0}, 8},     /* RFC 1918 */
    {{172, 16, 0, 0}, 12},  /* RFC 1918 */
    {{192, 168, 0, 0}, 16}, /* RFC 1918 */
    {{127, 0, 0, 0}, 8},    /* loopback */
    {{169, 254, 0, 0}, 16}, /* link-local */
    {{100, 64, 0, 0}, 10},  /* shared address space (CGNAT), RFC 6598 */
};

const struct geo_block geo_private_v6[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* loopback */
    {{0xfe, 0x80}, 10},                                      /* link-local */
    {{0xfc, 0x00}, 7},                                       /* unique local, RFC 4193 */
};

const size_t geo_private_v4_count = sizeof(geo_private_v4) / sizeof(geo_private_v4[0]);
const size_t geo_private_v6_count = sizeof(geo_private_v6) / sizeof(geo_private_v6[0]);

static bool block_contains(const struct geo_block *b, const uint8_t *addr)
{
	unsigned full = b->len / 8, rest = b->len % 8;

	/* Bytes, not memcmp(): the first byte tells for nearly every address,
	 * and this runs for every located client. */
	for (unsigned i = 0; i < full; i++) {
		if (b->addr[i] != addr[i])
			return false;
	}
	if (rest == 0)
		return true;
	return ((b->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool in_blocks(const struct geo_block *blocks, size_t count, const uint8_t *addr, uint8_t *len)
{
	for (size_t i = 0; i < count; i++) {
		if (block_contains(&blocks[i], addr)) {
			*len = blocks[i].len;
			return true;
		}
	}
	return false;
}

bool geo_addr_is_private(int family, const uint8_t *addr, uint8_t *block_len)
{
	uint8_t len = 0;
	bool hit;

	if (family == AF_INET) {
		hit = in_blocks(geo_private_v4, geo_private_v4_count, addr, &len);
	} else if (family == AF_INET6 && is_v4_mapped(addr)) {
		hit = in_blocks(geo_private_v4, geo_private_v4_count, addr + 12,
				&len);
		len = (uint8_t)(len + 96);
	} else if (family == AF_INET6) {
		hit = in_blocks(geo_private_v6, geo_private_v6_count, addr, &len);
	} else {
		return false;
	}
	if (hit && block_len != NULL)
		*block_len = len;
	return hit;
}

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = 3.14159265358979323846 / 180.0;
	double phi1 = lat1 * rad, phi2 = lat2 * rad;
	double dphi = (lat2 - lat1) * rad, dlambda = (lon2 - lon1) * rad;
	double s1 = sin(dphi / 2.0), s2 = sin(dlambda / 2.0);
	double a = s1 * s1 + cos(phi1) * cos(phi2) * s2 * s2;

	/* Rounding can push a a hair outside [0, 1] near antipodes. */
	if (a > 1.0)
		a = 1.0;
	else if (a < 0.0)
		a = 0.0;
	return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(a));
}

void geo_unit_vector(double lat, double lon, double out[3])
{
	const double rad = 3.14159265358979323846 / 180.0;
	double phi = lat * rad, lambda = lon * rad;
	double c = cos(phi);

	out[0] = c * cos(lambda);
	out[1] = c * sin(lambda);
	out[2] = sin(phi);
}

double geo_chord2_km(double chord2)
{
	/* The chord is 2 sin(angle / 2); rounding can push it a hair past 2. */
	double half = sqrt(chord2 > 0.0 ? chord2 : 0.0) / 2.0;

	if (half > 1.0)
		half = 1.0;
	return 2.0 * GEO_EARTH_RADIUS_KM * asin(half);
}
