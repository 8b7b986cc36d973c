/* What the XDP program (xdp_prog.bpf.c) and its loader (xdp.c) share: the
 * layout of the one-entry array map "gslbd_dns" through which the loader
 * tells the program which UDP destinations are DNS for gslbd. Included by
 * both the BPF program and the daemon, so it uses the kernel's types only. */
#ifndef GSLBD_NET_XDP_PROG_H
#define GSLBD_NET_XDP_PROG_H

#include <linux/types.h>

#define XDP_PROG_DESTS 16 /* destinations the program matches at most */

/* One destination: an address (or any address of the family) and a UDP port. */
struct xdp_prog_dest {
	__u8 family;    /* 4 or 6; 0: unused */
	__u8 any;       /* match every address of the family (a wildcard listener) */
	__be16 port;    /* UDP port, network byte order */
	__be32 addr[4]; /* IPv4 address in addr[0], or the IPv6 address */
};

/* The map's value. */
struct xdp_prog_config {
	__u32 count;                                /* dests in use */
	struct xdp_prog_dest dests[XDP_PROG_DESTS]; /* the destinations */
};

#endif
