#include <config.h>

#include "gslbd/dns/rrl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"

#define SET_WAYS 4          /* entries probed for a key */
#define MILLI 1000          /* credit units per response */
#define SLIP_MASK 0xffu     /* the low byte of a stored key counts limited responses */
#define HUGE_PAGE (2u << 20) /* the table's size and alignment are a multiple of it */

struct rrl_entry {
	uint64_t key;     /* key hash with the low byte replaced by the slip counter; 0: free */
	uint32_t stamp;   /* time of the last refill, milliseconds (wraps) */
	int32_t credit;   /* responses left, in thousandths */
};

_Static_assert(sizeof(struct rrl_entry) == RRL_ENTRY_BYTES, "RRL_ENTRY_BYTES is the entry size");

struct rrl_table {
	struct rrl_entry *e; /* the buckets */
	size_t mask;         /* entries - 1 */
	uint64_t seed;       /* keys the hash: clients cannot aim at one set */
};

struct rrl_table *rrl_table_new(size_t entries)
{
	struct rrl_table *t = xcalloc(1, sizeof(*t));
	size_t n = SET_WAYS, bytes;

	while (n < entries)
		n <<= 1;
	/* A set is one cache line, and the table is in huge pages where the
	 * system gives them (transparent huge pages): a lookup costs one
	 * cache miss and no page walk. */
	bytes = n * sizeof(*t->e);
	if (bytes >= HUGE_PAGE) {
		bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
		if (posix_memalign((void **)&t->e, HUGE_PAGE, bytes) != 0)
			log_fatal("rrl: out of memory for %zu buckets", n);
#ifdef MADV_HUGEPAGE
		(void)madvise(t->e, bytes, MADV_HUGEPAGE);
#endif
	} else if (posix_memalign((void **)&t->e, SET_WAYS * sizeof(*t->e), bytes) != 0) {
		log_fatal("rrl: out of memory for %zu buckets", n);
	}
	memset(t->e, 0, bytes);
	t->mask = n - 1;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed))
		t->seed = hash_mix64((uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t);
	return t;
}

void rrl_table_free(struct rrl_table *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t);
}

size_t rrl_table_entries(const struct rrl_table *t)
{
	return t->mask + 1;
}

/* Up to 8 bytes at p as a number (the tail of a key part). */
static uint64_t load_tail(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n < 8 ? n : 8);
	return v;
}

uint64_t rrl_key(const struct rrl_table *t, const struct rrl_params *p, const uint8_t *addr,
		 size_t addr_len, enum rrl_kind kind, const uint8_t *name, size_t name_len)
{
	uint8_t net[16] = {0};
	unsigned bits = addr_len == 4 ? p->ipv4_prefix : p->ipv6_prefix;
	uint64_t h = t->seed ^ ((uint64_t)kind << 56 | (uint64_t)addr_len << 48 | bits);

	if (bits > addr_len * 8)
		bits = (unsigned)addr_len * 8;
	memcpy(net, addr, bits / 8);
	if (bits % 8 != 0)
		net[bits / 8] = (uint8_t)(addr[bits / 8] & (0xff00u >> (bits % 8)));
	h = hash_mix64(h ^ load_tail(net, 8));
	if (addr_len == 16)
		h = hash_mix64(h ^ load_tail(net + 8, 8));
	for (size_t i = 0; name != NULL && i < name_len; i += 8)
		h = hash_mix64(h ^ load_tail(name + i, name_len - i));
	h &= ~(uint64_t)SLIP_MASK;
	return h != 0 ? h : SLIP_MASK + 1;
}

/* The set of key. */
static inline struct rrl_entry *set_of(const struct rrl_table *t, uint64_t key)
{
	return &t->e[(key >> 8) & t->mask & ~(size_t)(SET_WAYS - 1)];
}

void rrl_prefetch(const struct rrl_table *t, uint64_t key)
{
	__builtin_prefetch(set_of(t, key), 1, 1);
}

enum rrl_verdict rrl_account(struct rrl_table *t, const struct rrl_params *p, uint64_t now_ms,
			     const uint8_t *addr, size_t addr_len, enum rrl_kind kind,
			     const uint8_t *name, size_t name_len, bool *evicted)
{
	return rrl_account_key(t, p, now_ms, rrl_key(t, p, addr, addr_len, kind, name, name_len),
			       evicted);
}

enum rrl_verdict rrl_account_key(struct rrl_table *t, const struct rrl_params *p, uint64_t now_ms,
				 uint64_t key, bool *evicted)
{
	struct rrl_entry *set = set_of(t, key);
	struct rrl_entry *e = NULL, *victim = &set[0];
	uint32_t now = (uint32_t)now_ms;
	uint64_t cap = (uint64_t)p->rate * p->window_ms; /* thousandths: rate/s x ms */
	uint32_t idle = 0;
	unsigned count;

	if (cap < MILLI)
		cap = MILLI;
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	*evicted = false;
	for (int i = 0; i < SET_WAYS; i++) {
		uint32_t age;

		if ((set[i].key & ~(uint64_t)SLIP_MASK) == key) {
			e = &set[i];
			break;
		}
		/* A free entry, else the longest idle. */
		age = set[i].key == 0 ? UINT32_MAX : now - set[i].stamp;
		if (age > idle || i == 0) {
			victim = &set[i];
			idle = age;
		}
	}
	if (e == NULL) {
		e = victim;
		*evicted = e->key != 0;
		e->key = key;
		e->stamp = now;
		e->credit = (int32_t)cap;
	} else {
		uint64_t add = (uint64_t)(uint32_t)(now - e->stamp) * p->rate;
		uint64_t c = (uint64_t)(e->credit < 0 ? 0 : e->credit) + add;

		e->credit = (int32_t)(c > cap ? cap : c);
		e->stamp = now;
	}
	if (e->credit >= MILLI) {
		e->credit -= MILLI;
		return RRL_PASS;
	}
	/* The low byte counts limited responses since the last slip. */
	count = (unsigned)(e->key & SLIP_MASK) + 1;
	if (p->slip != 0 && count >= p->slip) {
		e->key &= ~(uint64_t)SLIP_MASK;
		return RRL_SLIP;
	}
	e->key = (e->key & ~(uint64_t)SLIP_MASK) | (count < SLIP_MASK ? count : SLIP_MASK);
	return RRL_DROP;
}
