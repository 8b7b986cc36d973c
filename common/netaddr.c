#include <config.h>

#include "common/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return GSLB_EINVAL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return GSLB_EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int netaddr_parse(const char *s, uint16_t default_port, struct netaddr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	uint16_t port = default_port;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return GSLB_EINVAL;
		hlen = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return GSLB_EINVAL;
		s++;
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hlen = (size_t)(colon - s);
			port_s = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return GSLB_EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port_s != NULL && parse_port(port_s, &port) != 0)
		return GSLB_EINVAL;
	if (inet_pton(AF_INET, host, &out->u.sin.sin_addr) == 1) {
		out->u.sin.sin_family = AF_INET;
		out->u.sin.sin_port = htons(port);
		out->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->u.sin6.sin6_addr) == 1) {
		out->u.sin6.sin6_family = AF_INET6;
		out->u.sin6.sin6_port = htons(port);
		out->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return GSLB_EINVAL;
}

void netaddr_format_ip(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

void netaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	netaddr_format_ip(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, netaddr_port(sa));
	else
		snprintf(buf, len, "%s:%u", ip, netaddr_port(sa));
}

uint16_t netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void netaddr_set_port(struct netaddr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.sin.sin_port = htons(port);
	else
		a->u.sin6.sin6_port = htons(port);
}

int netprefix_parse(const char *s, struct netprefix *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned max;

	memset(out, 0, sizeof(*out));
	if (hlen == 0 || hlen >= sizeof(host))
		return GSLB_EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return GSLB_EINVAL;
	}
	plen = max;
	if (slash != NULL) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return GSLB_EINVAL;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > max)
			return GSLB_EINVAL;
	}
	out->len = (uint8_t)plen;
	for (unsigned bit = (unsigned)plen; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
			return GSLB_EINVAL;
	}
	return 0;
}

void netprefix_format(const struct netprefix *p, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family, p->addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s/%u", ip, p->len);
}

bool netprefix_contains_raw(const struct netprefix *p, int family, const uint8_t *addr)
{
	unsigned full, rest;

	if (family != p->family)
		return false;
	full = p->len / 8u;
	rest = p->len % 8u;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));

		if ((addr[full] & mask) != p->addr[full])
			return false;
	}
	return true;
}

bool netprefix_contains(const struct netprefix *p, const struct sockaddr *sa)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET)
		return netprefix_contains_raw(p, AF_INET,
					      (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (p->family == AF_INET && memcmp(a, v4mapped, 12) == 0)
			return netprefix_contains_raw(p, AF_INET, a + 12);
		return netprefix_contains_raw(p, AF_INET6, a);
	}
	return false;
}

bool netprefix_list_contains(const struct netprefix *list, size_t count, const struct sockaddr *sa)
{
	for (size_t i = 0; i < count; i++) {
		if (netprefix_contains(&list[i], sa))
			return true;
	}
	return false;
}

size_t netaddr_raw(const struct sockaddr *sa, uint8_t out[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped, 12) == 0) {
			memcpy(out, a + 12, 4);
			return 4;
		}
		memcpy(out, a, 16);
		return 16;
	}
	return 0;
}

/* Longest prefix of list holding sa, or -1. */
static int longest_match(const struct netprefix *list, size_t count, const struct sockaddr *sa)
{
	int best = -1;

	for (size_t i = 0; i < count; i++) {
		if ((int)list[i].len > best && netprefix_contains(&list[i], sa))
			best = list[i].len;
	}
	return best;
}

bool netacl_permits(const struct netacl *acl, const struct sockaddr *sa)
{
	int allow, deny;

	if (acl->allow_count == 0 && acl->deny_count == 0)
		return true;
	deny = longest_match(acl->deny, acl->deny_count, sa);
	allow = longest_match(acl->allow, acl->allow_count, sa);
	if (allow < 0 && acl->allow_count > 0)
		return false;
	return allow > deny || deny < 0;
}

void netacl_fini(struct netacl *acl)
{
	free(acl->allow);
	free(acl->deny);
	acl->allow = acl->deny = NULL;
	acl->allow_count = acl->deny_count = 0;
}
