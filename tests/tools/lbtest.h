/* Deterministic random numbers, random clients and the comparison of two
 * decisions for the load-balancing tests and benchmark (check_lb, lbbench):
 * both draw clients the same way, each over its own list of IPv4 first
 * octets. */
#ifndef TESTS_TOOLS_LBTEST_H
#define TESTS_TOOLS_LBTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gslbd/dns/lb.h"

/* xorshift64*: the next number of the sequence at *x (not zero). */
uint64_t lbtest_next(uint64_t *x);

/* A random client: IPv4 anywhere or with a first octet from firsts (n
 * entries), IPv6 anywhere or in 2000::/3, by ECS (random prefix) or
 * resolver address. */
struct lb_client lbtest_client(uint64_t *x, const uint8_t *firsts, size_t n);

/* The client c with the bits from scope to its prefix drawn at random:
 * another client inside the scope returned for c. */
struct lb_client lbtest_inside_scope(const struct lb_client *c, uint8_t scope, uint64_t *x);

/* Decisions a and b give the same answer: pool, reason, region, the
 * candidates both ranked and the datacenters chosen. */
bool lbtest_same_answer(const struct lb_decision *a, const struct lb_decision *b);

#endif
