/* Socket addresses and address prefixes: parsing, formatting, matching.
 * Pure functions, any thread. */
#ifndef GSLBD_COMMON_NETADDR_H
#define GSLBD_COMMON_NETADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 socket address. */
struct netaddr {
	union {
		struct sockaddr sa;       /* generic view */
		struct sockaddr_in sin;   /* AF_INET */
		struct sockaddr_in6 sin6; /* AF_INET6 */
		struct sockaddr_storage ss;
	} u;
	socklen_t len; /* length of the valid part of u */
};

/* Longest text netaddr_format() writes, with the NUL. */
#define NETADDR_STRLEN (INET6_ADDRSTRLEN + 8)

/* Parse "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53" (numeric only). A missing
 * port means default_port. Returns 0 or GSLB_EINVAL. */
int netaddr_parse(const char *s, uint16_t default_port, struct netaddr *out);

/* Write "1.2.3.4:53" or "[::1]:53" into buf (NETADDR_STRLEN is enough). */
void netaddr_format(const struct sockaddr *sa, char *buf, size_t len);
/* Write the address alone ("1.2.3.4", "::1"). */
void netaddr_format_ip(const struct sockaddr *sa, char *buf, size_t len);

uint16_t netaddr_port(const struct sockaddr *sa);
void netaddr_set_port(struct netaddr *a, uint16_t port);

/* An address prefix such as 192.0.2.0/24 or 2001:db8::/32. */
struct netprefix {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network address, host bits zero; 4 bytes used for IPv4 */
	uint8_t len;       /* prefix length in bits */
};

/* Parse "192.0.2.0/24", "2001:db8::/32" or a bare address (a host prefix).
 * Host bits set beyond the length are an error. Returns 0 or GSLB_EINVAL. */
int netprefix_parse(const char *s, struct netprefix *out);
void netprefix_format(const struct netprefix *p, char *buf, size_t len);

/* Does prefix p contain the address of sa? IPv4-mapped IPv6 addresses match
 * IPv4 prefixes. */
bool netprefix_contains(const struct netprefix *p, const struct sockaddr *sa);
/* Does any of the count prefixes contain sa? */
bool netprefix_list_contains(const struct netprefix *list, size_t count, const struct sockaddr *sa);

/* Does the family/raw-address pair fall in p? addr holds 4 or 16 bytes. */
bool netprefix_contains_raw(const struct netprefix *p, int family, const uint8_t *addr);

#endif
