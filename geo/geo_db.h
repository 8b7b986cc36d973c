/* Client location from a MaxMind DB (.mmdb) file, and great-circle distance.
 *
 * A struct geo_db holds a private copy of the file: opening reads the whole
 * file into a sealed memory file (memfd) and maps that, read-only
 * (MMDB_MODE_MMAP), so that nothing done to the file afterwards (rewritten
 * or truncated in place) reaches a lookup. The copy costs the file's size
 * in memory (shared memory, charged to gslbd's cgroup) for as long as the
 * struct geo_db is open. Opening checks the whole copy (metadata, search
 * tree, every record's data) and refuses a corrupt one. Which fields are
 * read is set by a struct geo_layout: the GeoIP2/GeoLite2-City layout by
 * default, or any other data paths, so that flat or home-made databases work
 * too. Lookups take a raw address, do not allocate, and may run on any
 * number of threads at once on the same struct geo_db; open and close belong
 * to one thread, and a database must outlive every lookup using it.
 *
 * The other helpers are pure functions, safe from any thread. */
#ifndef GSLBD_GEO_DB_H
#define GSLBD_GEO_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Longest data path, in map keys (or array indexes). */
#define GEO_PATH_MAX_KEYS 6
/* Longest key of a data path, in bytes, with the NUL. */
#define GEO_KEY_SIZE 48

/* A data path inside a record, such as {"location", "latitude"}. */
struct geo_path {
	unsigned count;                             /* keys in use; 0 means "do not read" */
	char keys[GEO_PATH_MAX_KEYS][GEO_KEY_SIZE]; /* NUL-terminated keys, outermost first */
};

/* Where a database keeps the fields gslbd reads. Latitude and longitude are
 * read as double or float, country and continent as 2-letter UTF-8 strings. */
struct geo_layout {
	struct geo_path latitude;  /* degrees north, -90..90 */
	struct geo_path longitude; /* degrees east, -180..180 */
	struct geo_path country;   /* ISO 3166-1 alpha-2 country code */
	struct geo_path continent; /* two-letter continent code (AF AN AS EU NA OC SA) */
};

/* What a lookup found. Strings are copied and NUL-terminated. */
struct geo_location {
	bool found;         /* the address lies in a network that has a record */
	bool has_coords;    /* lat and lon are valid (both present and in range) */
	double lat;         /* degrees north; 0 unless has_coords */
	double lon;         /* degrees east; 0 unless has_coords */
	char country[3];    /* upper-case country code, "" when absent or malformed */
	char continent[3];  /* upper-case continent code, "" when absent or malformed */
	uint8_t prefix_len; /* prefix length of the matched network, or of the empty
			       region around the address when !found, counted in the
			       family of the query (0..32 for AF_INET, 0..128 for
			       AF_INET6): every address within it gets the same result */
	uint32_t record_id; /* when found: the record's offset in the data section,
			       equal for every network sharing one record, so callers
			       can memoise per record; meaningful for one open
			       database only; 0 when !found, but 0 is also a
			       valid id, so test found first */
	float xyz[3];       /* geo_unit_vector(lat, lon) in float precision (under a
			       metre) when has_coords, else 0 */
};

struct geo_db;

/* The GeoIP2/GeoLite2-City layout: location.latitude, location.longitude,
 * country.iso_code, continent.code. */
void geo_layout_city(struct geo_layout *out);

/* A flat layout: top-level latitude, longitude, country_code and
 * continent_code. */
void geo_layout_flat(struct geo_layout *out);

/* Parse a dotted data path such as "location.latitude" or
 * "subdivisions.0.iso_code" (numbers index arrays) into *out. The empty
 * string gives count 0 (field not read). Returns 0, or GSLB_EINVAL with err
 * naming the problem (empty key, key too long, too many keys); *out is
 * untouched then. */
int geo_layout_parse_path(const char *dotted, struct geo_path *out, struct gslb_err *err);

/* Write a path in dotted form into buf (always NUL-terminated when
 * buf_len > 0). */
void geo_path_format(const struct geo_path *path, char *buf, size_t buf_len);

/* Open the database at path with the given layout (copied; layout may be
 * NULL for geo_layout_city()): read the file into a private copy (read
 * again, up to three times, when its inode, size or times change during
 * the read), map it and check all of it. Returns 0 with *out (caller owns
 * it, frees it with geo_db_close()), or a negative code with err
 * "path: message" and *out untouched:
 *   GSLB_ENOENT  the file does not exist
 *   GSLB_EIO     it cannot be read, is empty, kept changing while being
 *                read, or is not a valid MaxMind DB: the metadata, the
 *                search tree or a record's data is corrupt (the message
 *                says what and where)
 *   GSLB_EINVAL  the layout is malformed (a key is empty or not
 *                NUL-terminated, too many keys, latitude without longitude
 *                or the reverse, or no field at all) */
int geo_db_open(const char *path, const struct geo_layout *layout, struct geo_db **out,
		struct gslb_err *err);

/* Unmap and free db (NULL is fine). No lookup may be running on it. */
void geo_db_close(struct geo_db *db);

/* Look up an address: family is AF_INET (addr holds 4 bytes) or AF_INET6
 * (16 bytes), network byte order. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are looked up as their IPv4 address, with prefix_len
 * still counted in IPv6 bits (96 + the IPv4 prefix). IPv6 addresses in an
 * IPv4-only database are not found, with prefix_len 0.
 * Returns 0 with *out filled (found or not), or:
 *   GSLB_EINVAL  family is neither AF_INET nor AF_INET6
 *   GSLB_EIO     the database is corrupt at this address
 * with *out set to "not found, prefix_len 0" in both cases. Does not
 * allocate; any thread. */
int geo_db_lookup(const struct geo_db *db, int family, const uint8_t *addr,
		  struct geo_location *out);

/* Entries of the two tables of a struct geo_cache. */
#define GEO_CACHE_BITS 13 /* decoded records (at most 2^16) */
#define GEO_CACHE_SIZE (1u << GEO_CACHE_BITS)
#define GEO_NET_CACHE_BITS 14 /* looked-up addresses, in sets of two (2..16) */
#define GEO_NET_CACHE_SIZE (1u << GEO_NET_CACHE_BITS)

/* One decoded record in a struct geo_cache. */
struct geo_cache_entry {
	uint32_t gen;       /* geo_db generation it was decoded from; 0: empty */
	uint32_t record_id; /* the record's offset in that database's data section */
	double lat;         /* as struct geo_location */
	double lon;         /* as struct geo_location */
	char country[3];    /* as struct geo_location */
	char continent[3];  /* as struct geo_location */
	bool has_coords;    /* as struct geo_location */
};

/* One looked-up address in a struct geo_cache, with all its lookup gave:
 * a hit reads this one entry and nothing else. */
struct geo_net_entry {
	uint32_t gen;       /* geo_db generation of the lookup; 0: empty */
	uint32_t record_id; /* as struct geo_location */
	uint8_t addr[16];   /* the address (4 bytes used for IPv4) */
	uint8_t v6;         /* 1: addr is IPv6 */
	uint8_t netmask;    /* prefix length of the network (IPv4-mapped: without the 96) */
	bool found;         /* as struct geo_location */
	bool has_coords;    /* as struct geo_location */
	char country[2];    /* as struct geo_location, without the NUL */
	char continent[2];  /* as struct geo_location, without the NUL */
	double lat;         /* as struct geo_location */
	double lon;         /* as struct geo_location */
	float xyz[3];       /* as struct geo_location */
	uint8_t pad[4];     /* to 64 bytes */
};

/* What lookups have learnt, so that repeated clients skip the search tree
 * and the many networks sharing a record are decoded once: addresses (two
 * ways per set, the newer first) and decoded records (direct-mapped),
 * owned by the caller (one per thread: no locks) and tied to no database.
 * Every open of a database gets a new generation number, so entries of a
 * closed or reloaded database (even at the same address) never match.
 * Zero-filled memory (or geo_cache_init()) is an empty cache; 1.3 MiB of
 * address space, of which only the entries in use become resident. */
struct geo_cache {
	struct geo_net_entry nets[GEO_NET_CACHE_SIZE];  /* sets of two, by a hash of the address */
	struct geo_cache_entry entries[GEO_CACHE_SIZE]; /* indexed by a hash of record_id */
};

/* Empty c. */
void geo_cache_init(struct geo_cache *c);

/* geo_db_lookup() through cache (NULL: no cache): an address looked up
 * before skips the search tree, and a record decoded before is copied from
 * the cache instead of read from the database. Fills *out exactly as
 * geo_db_lookup() does, with the same return codes. Does not allocate; any
 * thread, each with its own cache. */
int geo_db_lookup_cached(const struct geo_db *db, struct geo_cache *cache, int family,
			 const uint8_t *addr, struct geo_location *out);

/* The path the database was opened from; borrowed until geo_db_close(). */
const char *geo_db_path(const struct geo_db *db);
/* The metadata's database_type (e.g. "GeoIP2-City"); borrowed until
 * geo_db_close(). */
const char *geo_db_type(const struct geo_db *db);
/* The metadata's build time, seconds since the Unix epoch. */
uint64_t geo_db_build_epoch(const struct geo_db *db);
/* Bytes of the private copy: the memory db holds. */
uint64_t geo_db_size(const struct geo_db *db);
/* A 64-bit digest of the whole database as loaded, and its layout: equal
 * digests mean the same data read the same way, so what was computed from
 * one database (a compiled map) serves the other. Computed once, at open;
 * any thread. */
uint64_t geo_db_digest(const struct geo_db *db);

/* Would opening path with layout (NULL: geo_layout_city()) now give what db
 * holds, as far as the file system tells without reading the file: the
 * same path, layout, device, inode, size, modification and change times as
 * when db was opened? A reload uses it to keep db instead of copying an
 * unchanged file again. False when path cannot be stat()ed. */
bool geo_db_file_unchanged(const struct geo_db *db, const char *path,
			   const struct geo_layout *layout);

/* Unmap the pages of the private copy from gslbd's page tables: after
 * compiling maps from the whole database, only the few lookups still made
 * need them. The data stays in the memory file, whose size stays in use,
 * and later lookups map its pages again (a shared mapping of a memory
 * file: MADV_DONTNEED never discards its contents). Any thread, while
 * lookups run or not. */
void geo_db_drop_pages(const struct geo_db *db);

/* 4 or 6: the address family of the database's search tree. */
int geo_db_ip_version(const struct geo_db *db);

/* Is addr (family AF_INET with 4 bytes or AF_INET6 with 16) in a private or
 * special-use block that no geo database can place: 10/8, 172.16/12,
 * 192.168/16 (RFC 1918), 127/8, 169.254/16, 100.64/10 (CGNAT), ::1/128,
 * fe80::/10, fc00::/7, and the IPv4-mapped forms of the IPv4 blocks? If so
 * and block_len is not NULL, *block_len is the block's prefix length in the
 * family of the query (8 for 10/8, 104 for ::ffff:10.0.0.0/104). */
bool geo_addr_is_private(int family, const uint8_t *addr, uint8_t *block_len);

/* Great-circle distance in kilometres between two points given in degrees,
 * by the haversine formula on a sphere of radius GEO_EARTH_RADIUS_KM. */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* The unit vector of a point given in degrees, in out[3] (x towards 0N 0E,
 * y towards 0N 90E, z towards the north pole). Comparing the squared chord
 * |a - b|^2 of two such vectors orders points by great-circle distance
 * without trigonometry. */
void geo_unit_vector(double lat, double lon, double out[3]);

/* |a - b|^2 of two unit vectors: 0 (same point) .. 4 (antipodes), growing
 * with the great-circle distance. */
static inline double geo_chord2(const double a[3], const double b[3])
{
	double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];

	return dx * dx + dy * dy + dz * dz;
}

/* Great-circle distance in kilometres for a squared chord from
 * geo_chord2() (on the same sphere as geo_distance_km(), and equal to it
 * up to rounding). */
double geo_chord2_km(double chord2);

/* Mean Earth radius (IUGG), kilometres. */
#define GEO_EARTH_RADIUS_KM 6371.0088

#endif
