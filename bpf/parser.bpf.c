/* A realistic XDP packet parser at the size real ones reach (~2,000 instructions): Ethernet with up to two
 * VLAN tags, IPv4 with its options, IPv6 with its extension headers, TCP with its options, UDP and ICMP.
 * Each flow is counted in a hash map, each packet class in an array map; malformed packets are dropped.
 * Its loops have constant bounds and are unrolled, so the verifier walks every copy of the loop body and
 * prunes at its joins: test/emulator/parser.test.ts loads it on both engines, bench/verifier.ts times it. */
#include "bpfkit.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

#define MAX_VLANS 2
#define MAX_IP_OPTIONS 6
#define MAX_EXT_HEADERS 4
#define MAX_TCP_OPTIONS 6
/* The outer packet and one VXLAN-encapsulated inner packet. */
#define MAX_DEPTH 2
#define VXLAN_PORT 4789
/* Header offsets past this are dropped: far beyond any header stack this parser accepts. */
#define MAX_HEADER_OFF 1024

/* include/linux/if_vlan.h struct vlan_hdr (not in the uapi headers). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* IPv6 extension headers: next header and length in 8-byte units past the first 8 (RFC 8200). */
struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* include/uapi/linux/icmp.h's header, whose include pulls in libc's socket headers. */
struct icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

/* RFC 7348: flags (0x08: the VNI is valid), reserved, 24-bit VNI, reserved. */
struct vxlan_hdr {
	__be32 flags;
	__be32 vni;
};

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

enum packet_class {
	CLASS_OTHER,
	CLASS_TCP4,
	CLASS_UDP4,
	CLASS_ICMP4,
	CLASS_TCP6,
	CLASS_UDP6,
	CLASS_ICMP6,
	CLASS_MALFORMED,
	CLASS_COUNT,
};

struct flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 family;
	__u16 vlan;
};

struct flow_info {
	__u64 packets;
	__u64 bytes;
	__u32 tcp_flags;   /* OR of every packet's flags */
	__u16 mss;         /* TCP MSS option, last seen */
	__u8 wscale;       /* TCP window scale option, last seen */
	__u8 sack_ok;      /* TCP SACK-permitted option seen */
	__u32 tsval;       /* TCP timestamp option, last seen */
	__u16 ip_options;  /* IPv4 options seen (bit per option number & 15) */
	__u16 ext_headers; /* IPv6 extension headers passed */
	__u16 frag_id;     /* low bits of the last fragment id (IPv4 or IPv6) */
	__u8 ttl;          /* lowest TTL / hop limit seen */
	__u8 dscp;
	__u32 vni;         /* VXLAN network identifier, for a tunnelled flow */
};

struct class_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_info);
} parser_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CLASS_COUNT);
	__type(key, __u32);
	__type(value, struct class_stats);
} parser_classes SEC(".maps");

/* Destination ports dropped (value non-zero), set from user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} parser_blocked SEC(".maps");

/* What the parse found, filled as it goes and recorded at the end. It lives in a per-CPU map value rather
 * than on the stack: the verifier compares stack slots when it prunes, and a value per option kind seen
 * would make every combination of options a state of its own. */
struct parsed {
	struct flow_key key;
	__u32 tcp_flags;
	__u32 tsval;
	__u16 mss;
	__u8 wscale;
	__u8 sack_ok;
	__u16 ip_options;
	__u16 ext_headers;
	__u16 frag_id;
	__u8 ttl;
	__u8 dscp;
	__u8 fragment;
	__u32 class;       /* enum packet_class, the key of parser_classes */
	__u32 vni;         /* VXLAN network identifier of the outer packet, when tunnelled */
	__u16 l3_off;      /* the network header's offset in the packet (the inner one after a VXLAN header) */
	__be16 l3_proto;   /* its EtherType */
	__u16 l4_off;      /* the transport header's offset in the packet */
	__u8 tunnelled;    /* a VXLAN header was found: parse the inner packet */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parsed);
} parser_scratch SEC(".maps");

static __always_inline void count_class(struct parsed *p, __u64 bytes)
{
	struct class_stats *s = bpf_map_lookup_elem(&parser_classes, &p->class);

	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, bytes);
	}
}

/* TCP options (RFC 9293): kinds 0 (end) and 1 (no-op) are one byte, the rest kind, length, value. The
 * length is never compared with a constant: a path per known length would make the verifier walk every
 * combination of option kinds (and lengths checked against the data end suffice to read the value). */
static __always_inline int parse_tcp_options(struct parsed *p, __u8 *opt, __u8 *end, void *data_end)
{
#pragma unroll
	for (int i = 0; i < MAX_TCP_OPTIONS; i++) {
		__u8 kind, len;

		if ((void *)(opt + 1) > data_end)
			return 0;
		/* Past the header's length is the end of the list (an exit of its own keeps clang from unrolling). */
		kind = opt < end ? opt[0] : 0;
		if (kind == 0)
			return 0;
		if (kind == 1) {
			opt++;
			continue;
		}
		if ((void *)(opt + 2) > data_end)
			return -1;
		len = opt[1];
		if (len < 2 || opt + len > end)
			return -1;
		if (kind == 2 && (void *)(opt + 4) <= data_end)
			p->mss = (opt[2] << 8) | opt[3];
		else if (kind == 3 && (void *)(opt + 3) <= data_end)
			p->wscale = opt[2] > 14 ? 14 : opt[2];
		else if (kind == 4)
			p->sack_ok = 1;
		else if (kind == 8 && (void *)(opt + 10) <= data_end)
			p->tsval = ((__u32)opt[2] << 24) | ((__u32)opt[3] << 16) | ((__u32)opt[4] << 8) | opt[5];
		opt += len;
	}
	return 0;
}

static __always_inline int parse_tcp(struct parsed *p, void *l4, void *data_end)
{
	struct tcphdr *tcp = l4;
	__u32 doff;

	if ((void *)(tcp + 1) > data_end)
		return -1;
	doff = tcp->doff * 4;
	if (doff < sizeof(*tcp))
		return -1;
	p->key.sport = bpf_ntohs(tcp->source);
	p->key.dport = bpf_ntohs(tcp->dest);
	p->tcp_flags = ((__u8 *)tcp)[13];
	if (tcp->syn && tcp->fin)
		return -1;
	return parse_tcp_options(p, (__u8 *)(tcp + 1), (__u8 *)tcp + doff, data_end);
}

/* A VXLAN packet's inner Ethernet header is where the next round of the parse starts. */
static __always_inline int parse_udp(struct parsed *p, void *l4, void *data, void *data_end)
{
	struct udphdr *udp = l4;
	struct vxlan_hdr *vxlan;
	struct ethhdr *inner;

	if ((void *)(udp + 1) > data_end)
		return -1;
	if (bpf_ntohs(udp->len) < sizeof(*udp))
		return -1;
	p->key.sport = bpf_ntohs(udp->source);
	p->key.dport = bpf_ntohs(udp->dest);
	if (p->key.dport != VXLAN_PORT || p->tunnelled)
		return 0;
	vxlan = (void *)(udp + 1);
	inner = (void *)(vxlan + 1);
	if ((void *)(inner + 1) > data_end)
		return 0;
	if (!(vxlan->flags & bpf_htonl(0x08000000)))
		return -1;
	p->tunnelled = 1;
	p->vni = bpf_ntohl(vxlan->vni) >> 8;
	p->l3_off = (void *)(inner + 1) - data;
	p->l3_proto = inner->h_proto;
	return 0;
}

static __always_inline int parse_icmp(struct parsed *p, void *l4, void *data_end)
{
	struct icmp_hdr *icmp = l4;

	if ((void *)(icmp + 1) > data_end)
		return -1;
	/* The type and code stand for the ports; echoes add their id. */
	p->key.sport = icmp->type;
	p->key.dport = icmp->code;
	if (icmp->type == ICMP_ECHO || icmp->type == ICMP_ECHOREPLY)
		p->key.sport |= bpf_ntohs(icmp->id) << 8;
	return 0;
}

/* IPv4 options (RFC 791): 0 ends the list, 1 is a one-byte no-op, the rest kind, length, value. */
static __always_inline int parse_ip_options(struct parsed *p, __u8 *opt, __u8 *end, void *data_end)
{
#pragma unroll
	for (int i = 0; i < MAX_IP_OPTIONS; i++) {
		__u8 kind, len;

		if (opt >= end || (void *)(opt + 2) > data_end)
			return 0;
		kind = opt[0];
		p->ip_options |= 1 << (kind & 15);
		if (kind == 0)
			return 0;
		if (kind == 1) {
			opt++;
			continue;
		}
		len = opt[1];
		if (len < 2 || opt + len > end)
			return -1;
		/* Strict and loose source routes are refused. */
		if (kind == 131 || kind == 137)
			return -1;
		opt += len;
	}
	return 0;
}

static __always_inline int parse_ipv4(struct parsed *p, void *l3, void *data_end, __u8 *proto, void **l4)
{
	struct iphdr *ip = l3;
	__u32 ihl;
	__u16 frag;

	if ((void *)(ip + 1) > data_end)
		return -1;
	if (ip->version != 4 || ip->ihl < 5)
		return -1;
	ihl = ip->ihl * 4;
	if ((void *)ip + ihl > data_end)
		return -1;
	p->key.family = 4;
	__builtin_memcpy(p->key.saddr, &ip->saddr, 4);
	__builtin_memcpy(p->key.daddr, &ip->daddr, 4);
	p->ttl = ip->ttl;
	p->dscp = ip->tos >> 2;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x3fff) {
		p->fragment = 1;
		p->frag_id = bpf_ntohs(ip->id);
	}
	if (ihl > sizeof(*ip) && parse_ip_options(p, (__u8 *)(ip + 1), (__u8 *)ip + ihl, data_end) < 0)
		return -1;
	*proto = ip->protocol;
	*l4 = (void *)ip + ihl;
	return 0;
}

/* IPv6 extension headers (RFC 8200 4.1), each naming the next; the fragment header is 8 bytes. */
static __always_inline int parse_ipv6(struct parsed *p, void *l3, void *data_end, __u8 *proto, void **l4)
{
	struct ipv6hdr *ip6 = l3;
	__u8 next;
	void *pos;

	if ((void *)(ip6 + 1) > data_end)
		return -1;
	if (ip6->version != 6)
		return -1;
	p->key.family = 6;
	__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
	p->ttl = ip6->hop_limit;
	p->dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
	next = ip6->nexthdr;
	pos = ip6 + 1;
#pragma unroll
	for (int i = 0; i < MAX_EXT_HEADERS; i++) {
		struct ext_hdr *ext = pos;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_FRAGMENT
		    && next != IPPROTO_DSTOPTS && next != IPPROTO_AH)
			break;
		if ((void *)(ext + 1) > data_end)
			return -1;
		p->ext_headers++;
		if (next == IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = pos;

			if ((void *)(fh + 1) > data_end)
				return -1;
			p->fragment = 1;
			p->frag_id = bpf_ntohl(fh->identification);
			next = fh->nexthdr;
			pos = fh + 1;
		} else if (next == IPPROTO_AH) {
			/* AH counts its length in 4-byte units, less two. */
			next = ext->nexthdr;
			pos += (ext->hdrlen + 2) * 4;
		} else {
			next = ext->nexthdr;
			pos += (ext->hdrlen + 1) * 8;
		}
	}
	*proto = next;
	*l4 = pos;
	return 0;
}

static __always_inline __u32 class_of(__u8 family, __u8 proto)
{
	if (family == 4)
		return proto == IPPROTO_TCP ? CLASS_TCP4 : proto == IPPROTO_UDP ? CLASS_UDP4 : proto == IPPROTO_ICMP ? CLASS_ICMP4 : CLASS_OTHER;
	return proto == IPPROTO_TCP ? CLASS_TCP6 : proto == IPPROTO_UDP ? CLASS_UDP6 : proto == IPPROTO_ICMPV6 ? CLASS_ICMP6 : CLASS_OTHER;
}

static __always_inline void record_flow(struct parsed *p, __u64 bytes)
{
	struct flow_info *f = bpf_map_lookup_elem(&parser_flows, &p->key);

	if (!f) {
		struct flow_info init = { .ttl = 255 };

		bpf_map_update_elem(&parser_flows, &p->key, &init, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&parser_flows, &p->key);
		if (!f)
			return;
	}
	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, bytes);
	f->tcp_flags |= p->tcp_flags;
	if (p->mss)
		f->mss = p->mss;
	if (p->wscale)
		f->wscale = p->wscale;
	if (p->sack_ok)
		f->sack_ok = 1;
	if (p->tsval)
		f->tsval = p->tsval;
	f->ip_options |= p->ip_options;
	if (p->ext_headers > f->ext_headers)
		f->ext_headers = p->ext_headers;
	if (p->fragment)
		f->frag_id = p->frag_id;
	if (p->ttl < f->ttl)
		f->ttl = p->ttl;
	f->dscp = p->dscp;
	f->vni = p->vni;
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct ethhdr *eth = data;
	__u32 zero = 0;
	struct parsed *p = bpf_map_lookup_elem(&parser_scratch, &zero);
	void *l3, *l4 = 0;
	__u16 h_proto, off;
	__u8 proto = 0;
	__u8 *blocked;
	int err = 0;

	if (!p)
		return XDP_ABORTED;
	__builtin_memset(p, 0, sizeof(*p));
	if ((void *)(eth + 1) > data_end)
		goto malformed;
	h_proto = eth->h_proto;
	l3 = eth + 1;
#pragma unroll
	for (int i = 0; i < MAX_VLANS; i++) {
		struct vlan_hdr *vlan = l3;

		if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vlan + 1) > data_end)
			goto malformed;
		p->key.vlan = bpf_ntohs(vlan->h_vlan_TCI) & 0x0fff;
		h_proto = vlan->h_vlan_encapsulated_proto;
		l3 = vlan + 1;
	}
	p->l3_off = l3 - data;
	p->l3_proto = h_proto;
#pragma unroll
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		/* Each header is found again from the offset the map value holds, not from the registers the
		 * parse before it left: every path through the VLAN tags, IP options, extension headers and TCP
		 * options reaches the next layer in one state, and the verifier walks that layer once rather
		 * than once per path. The barrier keeps clang from reusing the registers. */
		asm volatile("" ::: "memory");
		off = p->l3_off;
		if (off > MAX_HEADER_OFF)
			goto malformed;
		l3 = data + off;
		h_proto = p->l3_proto;
		if (h_proto == bpf_htons(ETH_P_IP))
			err = parse_ipv4(p, l3, data_end, &proto, &l4);
		else if (h_proto == bpf_htons(ETH_P_IPV6))
			err = parse_ipv6(p, l3, data_end, &proto, &l4);
		else
			goto other;
		if (err < 0)
			goto malformed;
		p->key.proto = proto;
		p->l4_off = l4 - data;
		asm volatile("" ::: "memory");
		off = p->l4_off;
		if (off > MAX_HEADER_OFF)
			goto malformed;
		l4 = data + off;
		proto = p->key.proto;
		/* A fragment past the first has no transport header: the flow is the addresses alone. */
		if (p->fragment && p->key.family == 4)
			break;
		if (proto == IPPROTO_TCP)
			err = parse_tcp(p, l4, data_end);
		else if (proto == IPPROTO_UDP)
			err = parse_udp(p, l4, data, data_end);
		else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
			err = parse_icmp(p, l4, data_end);
		if (err < 0)
			goto malformed;
		asm volatile("" ::: "memory");
		if (!p->tunnelled || depth > 0)
			break;
	}
	asm volatile("" ::: "memory");
	p->class = class_of(p->key.family, p->key.proto);
	record_flow(p, bytes);
	count_class(p, bytes);
	blocked = bpf_map_lookup_elem(&parser_blocked, &p->key.dport);
	return blocked && *blocked ? XDP_DROP : XDP_PASS;
malformed:
	p->class = CLASS_MALFORMED;
	count_class(p, bytes);
	return XDP_DROP;
other:
	p->class = CLASS_OTHER;
	count_class(p, bytes);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
