// Network constants from the uapi headers, for the packets BPF_PROG_TEST_RUN takes.

/** include/uapi/linux/if_ether.h ETH_HLEN: the Ethernet header. */
export const ETH_HLEN = 14;
/** include/uapi/linux/if_ether.h: the EtherTypes the test runs look at. */
export const EthType = { Ipv4: 0x0800, Ipv6: 0x86dd, Vlan8021Q: 0x8100, Vlan8021AD: 0x88a8 } as const;
/** sizeof(struct iphdr) and sizeof(struct ipv6hdr) (include/uapi/linux/ip.h, ipv6.h): the base headers. */
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
/** include/linux/socket.h: the address families an sk_lookup test run and bpf_fib_lookup take. */
export const AddressFamily = { Inet: 2, Inet6: 10 } as const;
/** include/uapi/linux/if_vlan.h VLAN_HLEN: an 802.1Q tag (TPID and TCI). */
export const VLAN_HLEN = 4;
/** include/uapi/linux/if_ether.h ETH_P_802_3_MIN: a type/length field below it is an 802.3 length. */
export const ETH_P_802_3_MIN = 0x0600;
/** include/uapi/linux/if_packet.h PACKET_OTHERHOST: the last pkt_type bpf_skb_change_type takes. */
export const PACKET_OTHERHOST = 3;
/** include/uapi/linux/in.h: the IP protocols whose ports a flow hash covers (net/core/flow_dissector.c). */
export const IpProto = { Tcp: 6, Udp: 17, Dccp: 33, Sctp: 132, UdpLite: 136 } as const;
/** include/uapi/linux/in.h, in6.h: IPPROTO_ICMP and IPPROTO_ICMPV6 (no ports: kept out of IpProto). */
export const IcmpProto = { Icmp: 1, Icmpv6: 58 } as const;
/** include/uapi/linux/in6.h: the IPv6 extension headers (NEXTHDR_* in include/net/ipv6.h). */
export const Ipv6ExtHeader = { HopByHop: 0, Routing: 43, Fragment: 44, Destination: 60, NoNext: 59 } as const;
/**
 * include/uapi/linux/if_tunnel.h: the tunnel flags bpf_skb_set_tunnel_key sets, as host-order bits of the
 * __be16 bpf_skb_get_tunnel_key reports (TUNNEL_CSUM, _KEY, _SEQ, _DONT_FRAGMENT, _NOCACHE).
 */
export const TunnelFlag = { Csum: 0x01, Key: 0x04, Seq: 0x08, DontFragment: 0x0100, NoCache: 0x2000 } as const;
/** The loopback device's ifindex in every network namespace: test_run attaches packets to it. */
export const LOOPBACK_IFINDEX = 1;
