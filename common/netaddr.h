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

/* The address of sa as bytes into out: 4 for IPv4 and IPv4-mapped IPv6
 * addresses, 16 for other IPv6 ones. Returns that length, 0 for other
 * families. */
size_t netaddr_raw(const struct sockaddr *sa, uint8_t out[16]);

/* Access control: clients in deny are refused, and so are clients outside
 * allow when allow is not empty. Where prefixes of both lists hold a
 * client, the longest decides (a tie denies), so "deny 10.0.0.0/8, allow
 * 10.1.0.0/16" lets 10.1.x.x in. An empty list permits everyone. */
struct netacl {
	struct netprefix *allow; /* permitted networks (owned) */
	size_t allow_count;      /* entries at allow */
	struct netprefix *deny;  /* refused networks (owned) */
	size_t deny_count;       /* entries at deny */
	bool drop;               /* refused queries get no answer (else REFUSED) */
	bool set;                /* the configuration gave this list */
};

/* Is the client sa permitted by acl? */
bool netacl_permits(const struct netacl *acl, const struct sockaddr *sa);
/* Free the lists of acl (not acl itself). */
void netacl_fini(struct netacl *acl);

#endif
