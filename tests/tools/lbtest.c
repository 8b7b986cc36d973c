/* Random clients and decisions compared for the load-balancing tests; see
 * lbtest.h. */
#include <config.h>

#include "tests/tools/lbtest.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

uint64_t lbtest_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

struct lb_client lbtest_client(uint64_t *x, const uint8_t *firsts, size_t n)
{
	uint64_t r = lbtest_next(x), r2 = lbtest_next(x);
	uint8_t addr[16];
	struct lb_client c;
	bool v6 = (r & 3) == 0;

	for (int i = 0; i < 8; i++) {
		addr[i] = (uint8_t)(r2 >> (8 * i));
		addr[8 + i] = (uint8_t)(lbtest_next(x) >> (8 * i));
	}
	if (!v6 && (r & 4) != 0)
		addr[0] = firsts[(r >> 8) % n];
	if (v6 && (r & 4) != 0)
		addr[0] = (uint8_t)(0x20 | (addr[0] & 0x1f));
	if ((r & 0x30) == 0) {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;

		memset(&sin, 0, sizeof(sin));
		memset(&sin6, 0, sizeof(sin6));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr, 4);
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr, 16);
		lb_client_init(&c, 0, 0, NULL,
			       v6 ? (const struct sockaddr *)&sin6 : (const struct sockaddr *)&sin);
	} else {
		unsigned max = v6 ? 64 : 32;

		lb_client_init(&c, v6 ? 2 : 1, (uint8_t)((r >> 16) % (max + 1)), addr, NULL);
	}
	return c;
}

struct lb_client lbtest_inside_scope(const struct lb_client *c, uint8_t scope, uint64_t *x)
{
	struct lb_client o = *c;

	for (unsigned bit = scope; bit < o.prefix && bit < 128; bit++) {
		uint8_t mask = (uint8_t)(0x80 >> (bit % 8));

		if (lbtest_next(x) & 1)
			o.addr[bit / 8] ^= mask;
	}
	return o;
}

bool lbtest_same_answer(const struct lb_decision *a, const struct lb_decision *b)
{
	bool same = a->pool == b->pool && a->reason == b->reason && a->region == b->region &&
		    a->empty == b->empty && a->failed_open == b->failed_open &&
		    a->cname == b->cname && a->chosen_count == b->chosen_count;

	/* a compiled nearest ranking may keep only the first candidates */
	for (unsigned k = 0; same && k < a->cand_count && k < b->cand_count; k++)
		same = a->cands[k].dc == b->cands[k].dc;
	for (unsigned k = 0; same && k < a->chosen_count; k++)
		same = a->chosen[k] == b->chosen[k];
	return same;
}
