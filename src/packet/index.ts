// bpfkit's packets for tests: builders for the frames programs take, and a parser for what they give back.
import { ethernet, ipv4, ipv6 } from './build.js';
import { parse } from './parse.js';
import { internetChecksum } from './checksum.js';

export type { EthernetStage, Ipv4Stage, Ipv6Stage, PacketBuilder, PayloadStage } from './build.js';
export type * from './types.js';

/**
 * `packet.ethernet({...}).ipv4({...}).tcp({...}).payload(bytes).build()` gives a frame's bytes with every
 * length and checksum filled in; `packet.ipv4(...)`/`packet.ipv6(...)` start at the IP header;
 * `packet.parse(bytes)` reads one back; `packet.checksum(bytes)` is RFC 1071's checksum of some bytes.
 */
export const packet = { ethernet, ipv4, ipv6, parse, checksum: (bytes: Uint8Array): number => internetChecksum(bytes) } as const;
