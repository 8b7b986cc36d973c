/* gslbd's XDP program: a UDP datagram to one of the DNS destinations in
 * the map "gslbd_dns" goes to the AF_XDP socket of the queue it arrived on
 * (map "gslbd_xsks", filled by the daemon); everything else - ARP, ICMP,
 * TCP, other ports, IP fragments, IPv4 options, IPv6 extension headers,
 * VLAN tags, whatever is short or malformed - passes to the kernel. A queue
 * whose socket is gone passes its packets too (the redirect's fallback), so
 * the kernel's sockets answer them. The daemon validates again what it is
 * given; this program only decides where a frame goes.
 *
 * Built with clang -target bpf; needs no helper but bpf_map_lookup_elem()
 * and bpf_redirect_map(). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "gslbd/net/xdp_prog.h"

#define IP_MF     0x2000
#define IP_OFFSET 0x1fff

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_prog_config);
} gslbd_dns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} gslbd_xsks SEC(".maps");

/* Is (family, addr, port) one of the configured destinations? */
static __always_inline int is_dns(const struct xdp_prog_config *cfg, __u8 family,
				  const __be32 *addr, __be16 port)
{
	for (__u32 i = 0; i < XDP_PROG_DESTS; i++) {
		const struct xdp_prog_dest *d = &cfg->dests[i];

		if (i >= cfg->count)
			break;
		if (d->family != family || d->port != port)
			continue;
		if (d->any)
			return 1;
		if (family == 4 && d->addr[0] == addr[0])
			return 1;
		if (family == 6 && d->addr[0] == addr[0] && d->addr[1] == addr[1] &&
		    d->addr[2] == addr[2] && d->addr[3] == addr[3])
			return 1;
	}
	return 0;
}

SEC("xdp")
int gslbd_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	const struct xdp_prog_config *cfg;
	struct udphdr *udp;
	__be32 addr[4] = {0, 0, 0, 0};
	__u8 family;
	__u32 zero = 0;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		/* No options (ihl 5), no fragments: the kernel has those. */
		if (ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) != 0)
			return XDP_PASS;
		udp = (void *)(ip + 1);
		addr[0] = ip->daddr;
		family = 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		/* UDP right after the fixed header: extension headers (a
		 * fragment header among them) go to the kernel. */
		if (ip6->version != 6 || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		addr[0] = ip6->daddr.in6_u.u6_addr32[0];
		addr[1] = ip6->daddr.in6_u.u6_addr32[1];
		addr[2] = ip6->daddr.in6_u.u6_addr32[2];
		addr[3] = ip6->daddr.in6_u.u6_addr32[3];
		family = 6;
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&gslbd_dns, &zero);
	if (cfg == NULL || !is_dns(cfg, family, addr, udp->dest))
		return XDP_PASS;
	return bpf_redirect_map(&gslbd_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
