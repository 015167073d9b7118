// The maps bpf_redirect_map sends an XDP frame through: DEVMAP and DEVMAP_HASH (kernel/bpf/devmap.c: a net
// device by ifindex, with an optional XDP program), CPUMAP (kernel/bpf/cpumap.c: a CPU's queue of qsize
// frames, with an optional program) and XSKMAP (net/xdp/xskmap.c: AF_XDP sockets). The emulated network
// namespace has the loopback device alone, and the emulated process no AF_XDP socket, so an XSKMAP stays
// empty. Values live in one slab at slot × value_size (struct bpf_devmap_val / bpf_cpumap_val: the ifindex
// or qsize, then the program's id where userspace gave its fd), which programs read in place (a devmap's
// lookup); a DEVMAP_HASH keeps each element's key and its insertion stamp beside it, for its bucket order.
// Only syscalls write them: programs may only look the maps up and redirect through them.
import { E2BIG, EBADF, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EOPNOTSUPP, errnoByCode } from '../../uapi/errno.js';
import { KernelMapType, XDP_REDIRECT_FLAGS, XdpAction } from '../../uapi/bpf.js';
import { LOOPBACK_IFINDEX } from '../../uapi/net.js';
import { KernelProgramType as ProgType, AttachType } from '../../uapi/program-type.js';
import { arrayIndex, arrayNextKey } from './array.js';
import { sharedInt32, sharedValueSlab } from './shared.js';
import { BPF_EXIST, BPF_NOEXIST, copyBytes, type MapShape } from './storage.js';
import type { TailCallee } from './prog-array.js';

const EOVERFLOW = -errnoByCode.EOVERFLOW;
/** cpumap.c cpu_map_update_elem's "sanity limit on qsize". */
const CPUMAP_QSIZE_MAX = 16384;
/** The lookup's action bits of bpf_redirect_map's flags (XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX). */
const ACTION_MASK = 3n;

export type RedirectKind = 'devmap' | 'devmap-hash' | 'cpumap' | 'xskmap';

export function redirectKind(type: number): RedirectKind | undefined {
  switch (type) {
    case KernelMapType.Devmap: return 'devmap';
    case KernelMapType.DevmapHash: return 'devmap-hash';
    case KernelMapType.Cpumap: return 'cpumap';
    case KernelMapType.Xskmap: return 'xskmap';
    default: return undefined;
  }
}

/** A RedirectMapTable's shared memory. */
export interface RedirectMapState {
  shape: MapShape;
  kind: RedirectKind;
  values: Uint8Array;
  /** DEVMAP_HASH: each slot's key and stamp (0: free; higher: inserted later), and [items, last stamp]. */
  keys: Int32Array;
  stamps: Int32Array;
  counts: Int32Array;
}

/** What an update needs to know of a program a value names (the emulator's programs go by id). */
export type ProgramById = (id: number) => (TailCallee & { id: number }) | undefined;

export class RedirectMapTable {
  readonly shape: MapShape;
  readonly kind: RedirectKind;
  readonly state: RedirectMapState;
  readonly #hash: boolean;
  /** DEVMAP_HASH: roundup_pow_of_two(max_entries) buckets, a key's being key & (n - 1). */
  readonly #bucketMask: number;

  constructor(shape: MapShape, kind: RedirectKind, state?: RedirectMapState) {
    this.shape = shape;
    this.kind = kind;
    this.#hash = kind === 'devmap-hash';
    const slots = this.#hash ? shape.maxEntries : 0;
    this.state = state ?? {
      shape, kind, values: sharedValueSlab(shape.maxEntries * shape.valueSize),
      keys: sharedInt32(slots), stamps: sharedInt32(slots), counts: sharedInt32(2),
    };
    this.#bucketMask = 2 ** Math.ceil(Math.log2(shape.maxEntries)) - 1;
  }

  get values(): Uint8Array {
    return this.state.values;
  }

  /** The slot holding `key`'s element, or -1. */
  #slotOf(key: number): number {
    const { stamps, keys } = this.state;
    if (!this.#hash) return key < this.shape.maxEntries && arrayIndex(this.state.values, key * this.shape.valueSize) !== 0 ? key : -1;
    for (let s = 0; s < this.shape.maxEntries; s++) if (Atomics.load(stamps, s) !== 0 && keys[s] === (key | 0)) return s;
    return -1;
  }

  /**
   * The syscall's lookup: the element's value (ifindex or qsize, and the program's id), or ENOENT; an
   * XSKMAP's is EOPNOTSUPP (xsk_map_lookup_elem_sys_only).
   */
  lookup(key: Uint8Array, out: Uint8Array): number {
    if (this.kind === 'xskmap') return EOPNOTSUPP;
    const slot = this.#slotOf(arrayIndex(key, 0));
    if (slot < 0) return ENOENT;
    copyBytes(this.state.values, slot * this.shape.valueSize, out, 0, this.shape.valueSize);
    return 0;
  }

  /**
   * Where a program's bpf_map_lookup_elem finds the value of the key at `koff`, or -1 (an XSKMAP's socket:
   * never here). Not per-CPU: `_cpu` is unused.
   */
  programValueOffset(key: Uint8Array, _cpu = 0, koff = 0): number {
    if (this.kind === 'xskmap') return -1;
    const slot = this.#slotOf(arrayIndex(key, koff));
    return slot < 0 ? -1 : slot * this.shape.valueSize;
  }

  /**
   * The syscall's update (devmap.c __dev_map_update_elem / __dev_map_hash_update_elem, cpumap.c
   * cpu_map_update_elem, xskmap.c xsk_map_update_elem), in each one's order of checks. `cpumapErrno`:
   * kernel-version.ts cpumapEntryErrno.
   */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, program: ProgramById, cpumapErrno: boolean): number {
    const k = arrayIndex(key, koff);
    const first = arrayIndex(value, voff);
    // bpf_devmap_val / bpf_cpumap_val: the program's fd, an int, where the value has room for it.
    const fd = this.shape.valueSize >= 8 ? arrayIndex(value, voff + 4) | 0 : 0;
    switch (this.kind) {
      case 'devmap': {
        if (flags > BPF_EXIST) return EINVAL;
        if (k >= this.shape.maxEntries) return E2BIG;
        if (flags === BPF_NOEXIST) return EEXIST;
        // An ifindex of 0 empties the slot, and may name no program.
        if (first === 0) {
          if (fd > 0) return EINVAL;
          this.#store(k, 0, 0);
          return 0;
        }
        const prog = this.#device(first, fd, program, AttachType.XdpDevmap);
        if (prog < 0) return EINVAL;
        this.#store(k, first, prog);
        return 0;
      }
      case 'devmap-hash':
        return this.#hashUpdate(k, first, fd, flags, program);
      case 'cpumap': {
        if (flags > BPF_EXIST) return EINVAL;
        if (k >= this.shape.maxEntries) return E2BIG;
        if (flags === BPF_NOEXIST) return EEXIST;
        if (first > CPUMAP_QSIZE_MAX) return EOVERFLOW;
        if (k >= this.shape.ncpu) return ENODEV;
        // A qsize of 0 empties the slot.
        let prog = 0;
        if (first !== 0 && fd > 0) {
          // __cpu_map_load_bpf_program: bpf_prog_get_type's errno, EINVAL for another attach type; on kernels
          // before cpumapEntryErrno's the entry's allocation failed as a whole (ENOMEM).
          const p = program(fd);
          const rc = p === undefined ? EBADF : p.type !== ProgType.Xdp || p.expectedAttachType !== AttachType.XdpCpumap ? EINVAL : 0;
          if (rc) return cpumapErrno ? rc : ENOMEM;
          prog = p!.id;
        }
        this.#store(k, first, prog);
        return 0;
      }
      default:
        // xsk_map_update_elem: the flags, the index, then sockfd_lookup of the value, which names no socket here.
        if (flags > BPF_EXIST) return EINVAL;
        return k >= this.shape.maxEntries ? E2BIG : EBADF;
    }
  }

  /**
   * __dev_map_alloc_node: the ifindex names a device of the namespace and the fd, if any, an XDP program of
   * `attachType`; the program's id (0: none), or -1 for EINVAL (every failure there is EINVAL).
   */
  #device(ifindex: number, fd: number, program: ProgramById, attachType: number): number {
    if (ifindex !== LOOPBACK_IFINDEX) return -1;
    if (fd <= 0) return 0;
    const p = program(fd);
    return p !== undefined && p.type === ProgType.Xdp && p.expectedAttachType === attachType ? p.id : -1;
  }

  /**
   * __dev_map_hash_update_elem: flags above BPF_EXIST or no ifindex are EINVAL, BPF_NOEXIST on a present key
   * EEXIST (BPF_EXIST on a missing one is let through), then the device; a new key in a full map E2BIG. The
   * element, new or replaced, goes to the head of its bucket.
   */
  #hashUpdate(k: number, ifindex: number, fd: number, flags: number, program: ProgramById): number {
    if (flags > BPF_EXIST || ifindex === 0) return EINVAL;
    const old = this.#slotOf(k);
    if (old >= 0 && (flags & BPF_NOEXIST)) return EEXIST;
    const prog = this.#device(ifindex, fd, program, AttachType.XdpDevmap);
    if (prog < 0) return EINVAL;
    const { stamps, keys, counts } = this.state;
    let slot = old;
    if (slot < 0) {
      if (Atomics.load(counts, 0) >= this.shape.maxEntries) return E2BIG;
      slot = stamps.findIndex((s) => s === 0);
      Atomics.add(counts, 0, 1);
      keys[slot] = k | 0;
    }
    this.#store(slot, ifindex, prog);
    Atomics.store(stamps, slot, Atomics.add(counts, 1, 1) + 1);
    return 0;
  }

  /** A slot's value: the ifindex or qsize, and the program's id where value_size has room for it. */
  #store(slot: number, first: number, prog: number): void {
    const v = this.state.values;
    const view = new DataView(v.buffer, v.byteOffset + slot * this.shape.valueSize, this.shape.valueSize);
    view.setUint32(0, first, true);
    if (this.shape.valueSize >= 8) view.setUint32(4, prog, true);
  }

  /** dev_map_delete_elem, cpu_map_delete_elem, xsk_map_delete_elem: EINVAL past the end, else 0; a DEVMAP_HASH's missing key ENOENT. */
  delete(key: Uint8Array, koff = 0): number {
    const k = arrayIndex(key, koff);
    if (!this.#hash) {
      if (k >= this.shape.maxEntries) return EINVAL;
      this.#store(k, 0, 0);
      return 0;
    }
    const slot = this.#slotOf(k);
    if (slot < 0) return ENOENT;
    this.state.values.fill(0, slot * this.shape.valueSize, (slot + 1) * this.shape.valueSize);
    Atomics.store(this.state.stamps, slot, 0);
    Atomics.sub(this.state.counts, 0, 1);
    return 0;
  }

  /**
   * The array kinds: array_map_get_next_key's rule. DEVMAP_HASH (dev_map_hash_get_next_key): the next element
   * of the key's bucket (newest first), else the first of the buckets after it; a missing key starts over.
   */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (!this.#hash) return arrayNextKey(key, next, this.shape.maxEntries);
    const { stamps, keys } = this.state;
    const mask = this.#bucketMask;
    const k = key === null ? -1 : this.#slotOf(arrayIndex(key, 0));
    // After (bucket, stamp) in the walk's order: buckets ascending, stamps descending within one.
    const fromBucket = k < 0 ? 0 : keys[k]! & mask;
    const fromStamp = k < 0 ? Infinity : Atomics.load(stamps, k);
    let best = -1;
    let bestBucket = Infinity;
    let bestStamp = 0;
    for (let s = 0; s < this.shape.maxEntries; s++) {
      const stamp = Atomics.load(stamps, s);
      if (stamp === 0) continue;
      const bucket = keys[s]! & mask;
      const after = k < 0 || bucket > fromBucket || (bucket === fromBucket && stamp < fromStamp);
      if (after && (bucket < bestBucket || (bucket === bestBucket && stamp > bestStamp))) {
        best = s;
        bestBucket = bucket;
        bestStamp = stamp;
      }
    }
    if (best < 0) return ENOENT;
    new DataView(next.buffer, next.byteOffset, 4).setUint32(0, keys[best]! >>> 0, true);
    return 0;
  }

  /**
   * bpf_redirect_map → __bpf_xdp_redirect_map: flags beyond the action bits (and a devmap's BPF_F_BROADCAST,
   * BPF_F_EXCLUDE_INGRESS) abort; a key (the u64's low 32 bits) with no element answers the flags' action
   * unless broadcasting; else XDP_REDIRECT (a test run sends nothing on).
   */
  redirect(index: bigint, flags: bigint): bigint {
    const allowed = this.kind === 'devmap' || this.kind === 'devmap-hash' ? ACTION_MASK | BigInt(XDP_REDIRECT_FLAGS.Broadcast | XDP_REDIRECT_FLAGS.ExcludeIngress) : ACTION_MASK;
    if (flags & ~allowed) return BigInt(XdpAction.Aborted);
    const found = this.kind !== 'xskmap' && this.#slotOf(Number(index & 0xffffffffn)) >= 0;
    if (!found && !(flags & BigInt(XDP_REDIRECT_FLAGS.Broadcast))) return flags & ACTION_MASK;
    return BigInt(XdpAction.Redirect);
  }
}
