// Network constants from the uapi headers, for the packets BPF_PROG_TEST_RUN takes.

/** include/uapi/linux/if_ether.h ETH_HLEN: the Ethernet header. */
export const ETH_HLEN = 14;
/** include/uapi/linux/if_ether.h: the EtherTypes the test runs look at. */
export const EthType = { Ipv4: 0x0800, Ipv6: 0x86dd } as const;
/** sizeof(struct iphdr) and sizeof(struct ipv6hdr) (include/uapi/linux/ip.h, ipv6.h): the base headers. */
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
/** include/linux/socket.h: the address families an sk_lookup test run takes. */
export const AddressFamily = { Inet: 2, Inet6: 10 } as const;
