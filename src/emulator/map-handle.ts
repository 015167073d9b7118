// A handle on an emulated map: what an fd is to the kernel (kernel/bpf/syscall.c). It checks its arguments as
// the addon does (syscall-args.ts), then the syscall layer's rules before a map's own code runs (flag masks,
// the handle's access mode, frozen maps, BPF_F_LOCK, the per-CPU element flags); maps/hash.ts, maps/array.ts,
// maps/queue-stack.ts, maps/bloom.ts, maps/lpm-trie.ts and maps/redirect-map.ts do the rest. Handles and pins
// refer to one EmulatedMap, which lives while any does.
import { BatchOp, MapFlags, type BatchOpId } from '../uapi/bpf.js';
import type { ElemFlags, MapHandle, MapInfo, MapScratch, RingConsumer } from '../seam/engine.js';
import { E2BIG, EBADF, EINVAL, EBUSY, ENOENT, ENOTSUPP, EPERM } from '../uapi/errno.js';
import { mapLayout, roundUp8, type MapLayout } from '../seam/map-layout.js';
import { cpumapEntryErrno, freezeChecksWriteAccess, freezeRefusesLockMaps, lookupChecksAccessFirst, percpuCpuFlags } from './kernel-version.js';
import { ArrayTable } from './maps/array.js';
import { RingbufTable } from './maps/ringbuf.js';
import { EmulatedRingConsumer } from './ring-consumer.js';
import { HashTable } from './maps/hash.js';
import { QueueStackTable } from './maps/queue-stack.js';
import { BloomFilterTable } from './maps/bloom.js';
import { ProgArrayTable, type SlotProgram, type TailCallee } from './maps/prog-array.js';
import { CgroupStorageTable } from './maps/cgroup-storage.js';
import { MapInMapTable, type InnerMeta } from './maps/map-in-map.js';
import { LpmTrieTable } from './maps/lpm-trie.js';
import { RedirectMapTable } from './maps/redirect-map.js';
import { programSide, type MapTable, type ProgramMap, type ProgramSide } from './maps/program-map.js';
import {
  BPF_ANY, BPF_F_ALL_CPUS, BPF_F_CPU, BPF_F_LOCK, CPU_FLAGS, checkOpFlags, checkPercpuUpdateFlags, copyBytes, type MapShape,
} from './maps/storage.js';
import { args, flagsCpu, flagsLow, hasCpuFlag, typedLength, typedTag } from './syscall-args.js';
import { sharedInt32 } from './maps/shared.js';


/**
 * One emulated map; handles and pins refer to it, and it lives while any does (registry.ts counts them).
 * Threads that share the Emulator each have one of these over the same table memory and frozen word.
 */
export class EmulatedMap {
  readonly info: MapInfo;
  readonly table: MapTable;
  readonly shape: MapShape;
  readonly spinLock: boolean;
  /** [0] is 1 once BPF_MAP_FREEZE froze the map (shared: a freeze holds for every thread). */
  readonly frozenCell: Int32Array;
  refs = 0;

  constructor(info: MapInfo, table: MapTable, spinLock: boolean, frozenCell: Int32Array = sharedInt32(1)) {
    this.info = info;
    this.table = table;
    this.shape = table.shape;
    this.spinLock = spinLock;
    this.frozenCell = frozenCell;
  }

  get frozen(): boolean {
    return Atomics.load(this.frozenCell, 0) !== 0;
  }

  set frozen(frozen: boolean) {
    Atomics.store(this.frozenCell, 0, frozen ? 1 : 0);
  }
}

/**
 * What a map handle asks of the emulator that made it: the kernel version it answers as, the CPU syscalls run
 * on, pinning its map into the virtual bpffs and dropping its reference. Handed to handles only, so pin and
 * release are not public methods of the Emulator.
 */
export interface MapOwner {
  readonly kernelVersion: string;
  /** The CPU syscall-side operations run on now (it decides which LRU local lists they use). */
  currentCpu(): number;
  pin(map: EmulatedMap, path: string): number;
  release(map: EmulatedMap): void;
  /** A loaded program by the number a prog array's value names it by (its id: the emulator has no fds). */
  program(id: number): (SlotProgram<unknown> & { callee: TailCallee }) | undefined;
  /** A new handle (its own reference) on the map a map-in-map's value names by id, or undefined. */
  openMap(id: number): EmulatorMapHandle | undefined;
}

/**
 * What a handle may do (kernel/bpf/syscall.c): BPF_F_RDONLY / BPF_F_WRONLY restrict the fd they come
 * with (map_create's fd, BPF_MAP_GET_FD_BY_ID's, BPF_OBJ_GET's); the map itself keeps neither bit.
 */
export interface Access {
  read: boolean;
  write: boolean;
}

/** bpf_get_file_flag: RDONLY and WRONLY together are EINVAL. */
export function accessOf(flags: number): Access | number {
  const rdonly = (flags & MapFlags.Rdonly) !== 0;
  const wronly = (flags & MapFlags.Wronly) !== 0;
  if (rdonly && wronly) return EINVAL;
  return { read: !wronly, write: !rdonly };
}

export class EmulatorMapHandle implements MapHandle, ProgramMap {
  readonly info: MapInfo;
  readonly layout: MapLayout;
  readonly program: ProgramSide;
  readonly #map: EmulatedMap;
  readonly #owner: MapOwner;
  readonly #access: Access;
  // The addon's buffer sizes for this map (native/map.cc Wrap): value buffers of per-CPU maps hold one
  // round_up(value_size, 8) slot per possible CPU; batch tokens are a u32 bucket for hashes, a key for arrays.
  readonly #keySize: number;
  readonly #valueBufSize: number;
  readonly #tokenSize: number;
  /** lookupChecksAccessFirst at this emulator's (fixed) kernel version: parsed once, not per lookup. */
  readonly #lookupChecksAccessFirst: boolean;
  /** percpuCpuFlags at this emulator's kernel version: BPF_F_CPU / BPF_F_ALL_CPUS are element flags. */
  readonly #cpuFlags: boolean;
  /** cpumapEntryErrno at this emulator's kernel version. */
  readonly #cpumapEntryErrno: boolean;
  /** A whole per-CPU value, for a hash lookup of one CPU's (made on first use). */
  #allCpus: Uint8Array | undefined;
  #closed = false;

  constructor(map: EmulatedMap, owner: MapOwner, access: Access) {
    this.#map = map;
    this.#owner = owner;
    this.#access = access;
    this.info = { ...map.info };
    this.program = programSide(map.table);
    this.#keySize = map.shape.keySize;
    this.layout = mapLayout(map.info.type, map.shape.keySize, map.shape.valueSize, map.shape.ncpu);
    this.#valueBufSize = this.layout.valueBufferSize;
    this.#tokenSize = this.layout.tokenSize;
    this.#lookupChecksAccessFirst = lookupChecksAccessFirst(owner.kernelVersion);
    this.#cpuFlags = percpuCpuFlags(owner.kernelVersion);
    this.#cpumapEntryErrno = cpumapEntryErrno(owner.kernelVersion);
  }

  /** BPF_MAP_FREEZE froze the map (through any handle). */
  get frozen(): boolean {
    return this.#map.frozen;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The emulated map's table: tests inspect storage through it (test/conformance/map-stress.test.ts). */
  get table(): MapTable {
    return this.#map.table;
  }

  /** The map's layout (sizes, CPUs, per-CPU, lock offset), for the program side. */
  get shape(): MapShape {
    return this.#map.shape;
  }

  /** The kind of lock the value holds (at shape.lockOffset), if any. */
  get lockKind(): 'spin' | 'res' | undefined {
    if (this.#map.shape.lockOffset < 0) return undefined;
    return this.#map.spinLock ? 'spin' : 'res';
  }

  get #canRead(): boolean {
    return this.#access.read;
  }

  /** map_get_sys_perms: this handle's access, and no syscall writes to a frozen map through any handle. */
  get #canWrite(): boolean {
    return this.#access.write && !this.#map.frozen;
  }

  /**
   * `flags` is a u32 number, or a bigint for the kernel's whole u64 (BPF_F_CPU's CPU in the upper 32 bits).
   * With BPF_F_CPU (7.0+) only value_size bytes of `value` are written: that CPU's value.
   */
  lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, true);
    return this.#lookup(key, value, flags);
  }

  #lookup(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    const low = flagsLow(flags);
    const cpu = flagsCpu(flags);
    // kernel/bpf/syscall.c map_lookup_elem: the fd's read access is checked before the flags on 7.2,
    // after them on 6.18 and earlier (kernel-version.ts).
    if (this.#lookupChecksAccessFirst && !this.#canRead) return EPERM;
    if (this.#cpuFlags) {
      const rc = checkOpFlags(low, cpu, BPF_F_LOCK | BPF_F_CPU, m.spinLock, m.shape);
      if (rc) return rc;
      if (!this.#canRead) return EPERM;
      if (low & BPF_F_CPU) return this.#lookupCpu(key, value, 0, cpu);
    } else {
      if (cpu !== 0 || (low & ~BPF_F_LOCK)) return EINVAL;
      if (!this.#canRead) return EPERM;
      if ((low & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    }
    const table = m.table;
    // bpf_map_copy_value: a queue's or stack's map_peek_elem fills `value`; a bloom filter's reads it
    // (map_lookup_elem copies the value in from userspace for BPF_MAP_TYPE_BLOOM_FILTER).
    if (table instanceof QueueStackTable) return table.get(value, 0, false);
    if (table instanceof BloomFilterTable) return table.peek(value, 0);
    if (table instanceof ProgArrayTable || table instanceof MapInMapTable || table instanceof RedirectMapTable) return table.lookup(key, value);
    if (table instanceof CgroupStorageTable || table instanceof RingbufTable) return table.lookup();
    // BPF_F_LOCK has been refused (an LPM value holds no lock: map_check_btf).
    if (table instanceof LpmTrieTable) return table.lookup(key, value);
    return table.lookup(key, value, (low & BPF_F_LOCK) !== 0);
  }

  /**
   * `flags` as for lookup. With BPF_F_CPU (7.0+) `value`'s first value_size bytes go to that CPU only; with
   * BPF_F_ALL_CPUS to every CPU.
   */
  update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, true);
    return this.#update(key, value, flags);
  }

  #update(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    const low = flagsLow(flags);
    const cpu = flagsCpu(flags);
    if (!this.#canWrite) return EPERM;
    if (this.#cpuFlags) {
      // kernel/bpf/syscall.c map_update_elem: bpf_map_check_op_flags(map, flags, ~0).
      const rc = checkOpFlags(low, cpu, 0xffffffff, m.spinLock, m.shape);
      if (rc) return rc;
    } else {
      if ((low & BPF_F_LOCK) && !m.spinLock) return EINVAL;
      // Every map's update compares the whole u64 with BPF_EXIST first: upper bits are EINVAL.
      if (cpu !== 0) return EINVAL;
    }
    return this.#updateElem(key, 0, value, 0, low, cpu);
  }

  /** The map's own update (kernel/bpf/syscall.c bpf_map_update_value), after the syscall's flag checks. */
  #updateElem(key: Uint8Array, koff: number, value: Uint8Array, voff: number, low: number, cpu: number): number {
    const table = this.#map.table;
    // bpf_map_update_value: queues, stacks and bloom filters push, with the whole u64 flags (its upper half is
    // refused before: map_update_elem's and bpf_map_check_op_flags' checks above).
    if (table instanceof QueueStackTable || table instanceof BloomFilterTable) return table.push(value, voff, BigInt(low));
    if (table instanceof ProgArrayTable) return this.#setProgram(table, key.subarray(koff, koff + 4), value, voff, low);
    if (table instanceof CgroupStorageTable) return table.update(low, this.#map.spinLock);
    if (table instanceof MapInMapTable) return this.#setMap(table, key, koff, value, voff, low);
    if (table instanceof RingbufTable) return table.update();
    if (table instanceof LpmTrieTable) return table.update(key, koff, value, voff, low);
    // A devmap's or cpumap's value may name a program (by id here, by fd on the kernel).
    if (table instanceof RedirectMapTable) {
      return table.update(key, koff, value, voff, low, (id) => {
        const p = this.#owner.program(id);
        return p && { ...p.callee, id: p.id };
      }, this.#cpumapEntryErrno);
    }
    const current = this.#owner.currentCpu();
    if (!this.#cpuFlags || !table.shape.percpu) return table.update(key, koff, value, voff, low, current, false);
    const rc = checkPercpuUpdateFlags(low);
    if (rc) return rc;
    if (low & BPF_F_CPU) {
      // pcpu_copy_value / bpf_percpu_array_update: that CPU's value in place; a new hash element's other
      // CPUs read zero (measured on 7.2), as after a program's update, so the program-side write serves (its
      // LRU node still taken on this syscall's CPU).
      return table instanceof HashTable
        ? table.update(key, koff, value.subarray(voff, voff + table.shape.valueSize), 0, BPF_ANY, cpu, true, current)
        : table.update(key, koff, value, voff, BPF_ANY, cpu, true);
    }
    if (low & BPF_F_ALL_CPUS) return table.update(key, koff, this.#spread(value, voff), 0, BPF_ANY, current, false);
    // hashtab.c check_flags compares the flags with BPF_NOEXIST and BPF_EXIST, bpf_percpu_array_update with
    // BPF_NOEXIST: 3, now let through, is neither (measured on 7.2: accepted as BPF_ANY on all three maps).
    return table.update(key, koff, value, voff, low === 3 ? BPF_ANY : low, current, false);
  }

  /**
   * bpf_fd_array_map_update_elem: the flags and the index first, then the value is a program (bpf_prog_get:
   * EBADF for a number that names none) that the array must be able to run (prog_fd_array_get_ptr).
   */
  #setProgram(table: ProgArrayTable, key: Uint8Array, value: Uint8Array, voff: number, flags: number): number {
    if (flags !== BPF_ANY) return EINVAL;
    if (new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true) >= table.shape.maxEntries) return E2BIG;
    const program = this.#owner.program(new DataView(value.buffer, value.byteOffset + voff, 4).getUint32(0, true));
    return program === undefined ? EBADF : table.update(key, flags, program);
  }

  /**
   * A map-in-map's update: the value names a map (map_in_map.c bpf_map_fd_get_ptr: EBADF for a number that
   * names none) held by the slot (bpf_map_inc); the table checks it against the template.
   */
  #setMap(table: MapInMapTable, key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number): number {
    // bpf_fd_array_map_update_elem checks its flags and index before it looks at the fd.
    if (!table.hash && flags !== BPF_ANY) return EINVAL;
    if (!table.hash && new DataView(key.buffer, key.byteOffset + koff, 4).getUint32(0, true) >= table.shape.maxEntries) return E2BIG;
    const inner = this.#owner.openMap(new DataView(value.buffer, value.byteOffset + voff, 4).getUint32(0, true));
    if (inner === undefined) return EBADF;
    return table.update(key, koff, flags, { id: inner.info.id, map: inner, meta: innerMetaOf(inner) }, this.#owner.currentCpu());
  }

  /** One value_size value in every CPU's slot of a whole per-CPU value (BPF_F_ALL_CPUS). */
  #spread(value: Uint8Array, voff: number): Uint8Array {
    const { valueSize, ncpu } = this.#map.shape;
    const slot = roundUp8(valueSize);
    const all = new Uint8Array(slot * ncpu);
    for (let c = 0; c < ncpu; c++) copyBytes(value, voff, all, c * slot, valueSize);
    return all;
  }

  /** bpf_percpu_hash_copy / bpf_percpu_array_copy with BPF_F_CPU: `cpu`'s value_size bytes, to out at `off`. */
  #lookupCpu(key: Uint8Array, out: Uint8Array, off: number, cpu: number): number {
    const table = this.#map.table;
    if (table instanceof ArrayTable) return table.lookupCpu(key, 0, out, off, cpu);
    if (table instanceof CgroupStorageTable) return table.lookup();
    if (!(table instanceof HashTable)) return EINVAL; // BPF_F_CPU is refused on maps that are not per-CPU
    const all = (this.#allCpus ??= new Uint8Array(table.stride));
    const rc = table.lookup(key, all);
    if (rc) return rc;
    copyBytes(all, cpu * roundUp8(table.shape.valueSize), out, off, table.shape.valueSize);
    return 0;
  }

  delete(key: Uint8Array): number {
    this.#bound();
    args.u8Exact(key, 'key', this.#keySize);
    return this.#delete(key);
  }

  #delete(key: Uint8Array): number {
    const m = this.#map;
    if (!this.#canWrite) return EPERM;
    const table = m.table;
    // array_map_delete_elem: EINVAL; queue_stack_map_delete_elem: EINVAL; bloom_map_delete_elem: EOPNOTSUPP.
    if (table instanceof HashTable || table instanceof ProgArrayTable || table instanceof MapInMapTable || table instanceof LpmTrieTable
      || table instanceof RedirectMapTable) return table.delete(key, 0);
    if (table instanceof CgroupStorageTable || table instanceof RingbufTable) return table.delete();
    return table instanceof ArrayTable ? EINVAL : table.delete();
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    this.#bound();
    if (key !== null && key !== undefined) args.u8Exact(key, 'key', this.#keySize);
    args.u8Exact(next, 'next', this.#keySize);
    return this.#getNextKey(key ?? null, next);
  }

  #getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (!this.#canRead) return EPERM;
    return this.#map.table.getNextKey(key, next);
  }

  lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    this.#keyValueFlags(key, value, flags, false);
    return this.#lookupAndDelete(key, value, flags);
  }

  #lookupAndDelete(key: Uint8Array, value: Uint8Array, flags: ElemFlags): number {
    const m = this.#map;
    // map_lookup_and_delete_elem: BPF_F_LOCK only, per-CPU flags included (bpf_map_value_size(map, 0)).
    if (flagsCpu(flags) !== 0 || (flagsLow(flags) & ~BPF_F_LOCK)) return EINVAL;
    flags = flagsLow(flags);
    if (!this.#canRead || !this.#canWrite) return EPERM;
    const table = m.table;
    // Queues and stacks take no flags at all here.
    if (flags !== 0 && table instanceof QueueStackTable) return EINVAL;
    if ((flags & BPF_F_LOCK) && !m.spinLock) return EINVAL;
    // Only queues, stacks (map_pop_elem) and the hash maps pop; the others are ENOTSUPP.
    if (table instanceof QueueStackTable) return table.get(value, 0, true);
    return table instanceof HashTable ? table.lookupAndDelete(key, value, (flags & BPF_F_LOCK) !== 0) : ENOTSUPP;
  }

  /**
   * The typed layer's calls on buffers made here, of the right sizes: only the flags (and that the handle is
   * open) are checked per call, as the addon's scratch calls check them (native/map_scratch.cc).
   */
  openScratch(): MapScratch {
    this.#bound();
    const key = new Uint8Array(this.#keySize);
    const value = new Uint8Array(this.#valueBufSize);
    const next = new Uint8Array(this.#keySize);
    const flagsOf = (flags: number): number => {
      this.#bound();
      args.u32(flags, 'flags');
      return flags;
    };
    return {
      key,
      value,
      next,
      lookup: (flags) => this.#lookup(key, value, flagsOf(flags)),
      update: (flags) => this.#update(key, value, flagsOf(flags)),
      delete: () => (this.#bound(), this.#delete(key)),
      lookupAndDelete: (flags) => this.#lookupAndDelete(key, value, flagsOf(flags)),
      getNextKey: (fromKey) => {
        this.#bound();
        if (typeof fromKey !== 'boolean') throw new TypeError('fromKey must be a boolean');
        return this.#getNextKey(fromKey ? key : null, next);
      },
    };
  }

  /** bpf_map_do_batch, then the map's batch op or the generic one (kernel/bpf/syscall.c). */
  batch(op: BatchOpId, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, elemFlags: ElemFlags): number {
    this.#batchArgs(op, inBatch, outBatch, keys, values, count, elemFlags);
    inBatch ??= null;
    const m = this.#map;
    const reads = op === BatchOp.Lookup || op === BatchOp.LookupAndDelete;
    const writes = op !== BatchOp.Lookup;
    if (reads && !this.#canRead) return EPERM;
    if (writes && !this.#canWrite) return EPERM;
    const table = m.table;
    // BPF_DO_BATCH: a map type without the op is ENOTSUPP (queues, stacks and bloom filters have none; an
    // array has no deleting ones, an LPM trie no lookup-and-delete: lpm_trie.c trie_map_ops' generic ones). A
    // hash of maps has the hash's (BATCH_OPS(htab)), an array of maps the generic lookup and update only.
    const inner = table instanceof MapInMapTable ? table : undefined;
    const ids = inner?.ids ?? table;
    if (!(ids instanceof HashTable) && !(ids instanceof ArrayTable) && !(ids instanceof LpmTrieTable)) return ENOTSUPP;
    const hash = ids instanceof HashTable;
    if (!hash && op === BatchOp.LookupAndDelete) return ENOTSUPP;
    if (ids instanceof ArrayTable && op === BatchOp.Delete) return ENOTSUPP;
    const low = flagsLow(elemFlags);
    const cpu = flagsCpu(elemFlags);
    if (this.#cpuFlags) {
      // bpf_map_check_op_flags with what each op allows: a lookup takes BPF_F_CPU (hashtab.c
      // __htab_map_lookup_and_delete_batch when not deleting, syscall.c generic_map_lookup_batch), an update
      // both per-CPU flags (generic_map_update_batch), lookup-and-delete and delete BPF_F_LOCK only.
      const allowed = op === BatchOp.Update ? BPF_F_LOCK | CPU_FLAGS : op === BatchOp.Lookup ? BPF_F_LOCK | BPF_F_CPU : BPF_F_LOCK;
      const rc = checkOpFlags(low, cpu, allowed, m.spinLock, m.shape);
      if (rc) return rc;
    } else if (cpu !== 0 || (low & ~BPF_F_LOCK) || ((low & BPF_F_LOCK) && !m.spinLock)) {
      return EINVAL;
    }
    const oneCpu = low & BPF_F_CPU ? cpu : -1;
    if (reads && hash && oneCpu >= 0) return this.#hashLookupBatchCpu(ids, inBatch, outBatch, keys, values, count, oneCpu);
    // A hash of maps' batch copies each slot's map id (bpf_map_fd_sys_lookup_elem), which its table holds.
    if (reads && hash) return ids.lookupBatch(inBatch, outBatch, keys, values, count, op === BatchOp.LookupAndDelete);
    if (reads) return this.#genericLookupBatch(inBatch, outBatch, keys, values, count, oneCpu);
    return this.#genericWriteBatch(op === BatchOp.Delete, keys, values, count, low, cpu);
  }

  /**
   * __htab_map_lookup_and_delete_batch with BPF_F_CPU: the same walk, each element's value that CPU's
   * value_size bytes, back to back. The table's walk copies whole values into a buffer of our own first.
   */
  #hashLookupBatchCpu(table: HashTable, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, cpu: number): number {
    const { valueSize, maxEntries, ncpu } = table.shape;
    // No walk returns more elements than the table has (max_entries, plus the spares replacing updates take).
    const all = new Uint8Array(Math.min(count[0]!, maxEntries + ncpu + 1) * table.stride);
    const rc = table.lookupBatch(inBatch, outBatch, keys, all, count, false);
    const at = cpu * roundUp8(valueSize);
    for (let i = 0; i < count[0]!; i++) copyBytes(all, i * table.stride + at, values, i * valueSize, valueSize);
    return rc;
  }

  /**
   * The addon's checks (native/map.cc), in its order and with its messages. Where the op takes per-CPU
   * flags (`cpuFlags`) and `flags` has one, `value` may also be one value_size value, what the kernel then
   * reads or writes (a whole-layout buffer still does: the kernel uses its first value_size bytes).
   */
  #keyValueFlags(key: Uint8Array, value: Uint8Array, flags: ElemFlags, cpuFlags: boolean): void {
    this.#bound();
    args.u8Exact(key, 'key', this.#keySize);
    // Per-CPU maps only: elsewhere the two sizes are one, and the plain message names it.
    if (cpuFlags && hasCpuFlag(flags) && this.#valueBufSize !== this.#map.shape.valueSize) args.u8OneOf(value, 'value', this.#valueBufSize, this.#map.shape.valueSize);
    else args.u8Exact(value, 'value', this.#valueBufSize);
    args.flags(flags, 'flags');
  }

  #batchArgs(op: number, inBatch: unknown, outBatch: unknown, keys: unknown, values: unknown, count: unknown, elemFlags: unknown): void {
    this.#bound();
    args.u32(op, 'op');
    if (op > 3) throw new RangeError(`op must be 0 (lookup), 1 (lookupAndDelete), 2 (update) or 3 (delete), got ${op}`);
    if (!(count instanceof Uint32Array) || typedTag(count) !== 'Uint32Array') throw new TypeError('count must be a Uint32Array');
    if (typedLength(count) < 1) throw new RangeError('count must have at least one element');
    const n = count[0]!;
    if (op === 0 || op === 1) {
      const inLength = args.u8OrNull(inBatch, 'inBatch');
      if (inLength >= 0 && inLength < this.#tokenSize) {
        throw new RangeError(`inBatch must be at least ${this.#tokenSize} bytes, got ${inLength}`);
      }
      args.u8AtLeast(outBatch, 'outBatch', this.#tokenSize);
    } else {
      args.u8OrNull(inBatch, 'inBatch');
      args.u8OrNull(outBatch, 'outBatch');
    }
    args.u8AtLeast(keys, 'keys', n * this.#keySize);
    // With a per-CPU flag a lookup or update batch's values are value_size each (bpf_map_value_size).
    const oneValue = (op === 0 || op === 2) && hasCpuFlag(elemFlags);
    if (op === 3) args.u8OrNull(values, 'values');
    else args.u8AtLeast(values, 'values', n * (oneValue ? this.#map.shape.valueSize : this.#valueBufSize));
    args.flags(elemFlags, 'elemFlags');
  }

  /** The addon's Bound(): every method but close() on a closed handle is a TypeError. */
  #bound(): void {
    if (this.#closed) throw new TypeError('map is closed');
  }
  /** generic_map_lookup_batch: get_next_key from the token key, count elements, token = last key copied. */
  #genericLookupBatch(inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: Uint32Array, cpu: number): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table as HashTable | ArrayTable | MapInMapTable | LpmTrieTable; // batch() lets only these through
    const ks = table.shape.keySize;
    // BPF_F_CPU (cpu >= 0): one value_size value per element.
    const stride = cpu >= 0 ? table.shape.valueSize : this.#valueBufSize;
    let prev: Uint8Array | null = inBatch ? inBatch.slice(0, ks) : null;
    let cp = 0;
    let rc = 0;
    while (cp < max) {
      const key = keys.subarray(cp * ks, cp * ks + ks);
      rc = table.getNextKey(prev, key);
      if (rc) break;
      rc = cpu >= 0 ? this.#lookupCpu(key, values, cp * stride, cpu) : table.lookup(key, values.subarray(cp * stride, cp * stride + stride));
      // An element without a value (an empty slot of an array of maps) is passed over ("goto next_key").
      if (rc === ENOENT) {
        prev = key.slice();
        continue;
      }
      if (rc) break;
      prev = key;
      cp++;
    }
    count[0] = cp;
    if (cp > 0 && prev) outBatch.set(prev.subarray(0, ks));
    return rc;
  }

  /** generic_map_update_batch / generic_map_delete_batch: element by element, stopping at the first error. */
  #genericWriteBatch(del: boolean, keys: Uint8Array, values: Uint8Array, count: Uint32Array, low: number, cpu: number): number {
    const max = count[0]!;
    if (max === 0) return 0;
    const table = this.#map.table as HashTable | ArrayTable | MapInMapTable | LpmTrieTable; // batch() lets only these through
    const ks = table.shape.keySize;
    const stride = low & CPU_FLAGS ? table.shape.valueSize : this.#valueBufSize;
    let cp = 0;
    let rc = 0;
    for (; cp < max; cp++) {
      rc = del
        ? (table as HashTable | LpmTrieTable).delete(keys, cp * ks)
        : this.#updateElem(keys, cp * ks, values, cp * stride, low, cpu);
      if (rc) break;
    }
    count[0] = cp;
    return rc;
  }

  /**
   * map_freeze: not for maps with special fields (locks). Since 6.5 the fd needs write access, which a frozen
   * map has lost (twice → EPERM); before, a second freeze was EBUSY (kernel-version.ts).
   */
  freeze(): number {
    this.#bound();
    const m = this.#map;
    if (m.shape.lockOffset >= 0 && freezeRefusesLockMaps(this.#owner.kernelVersion)) return ENOTSUPP;
    if (freezeChecksWriteAccess(this.#owner.kernelVersion) && !this.#canWrite) return EPERM;
    if (m.frozen) return EBUSY;
    m.frozen = true;
    return 0;
  }

  pin(path: string): number {
    this.#bound();
    args.path(path, 'path');
    return this.#owner.pin(this.#map, path);
  }

  queryInfo(): MapInfo {
    this.#bound();
    return { ...this.#map.info };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner.release(this.#map);
  }

  /** A ring buffer's consumer (ring-consumer.ts); EINVAL for any other map. */
  openRingConsumer(): RingConsumer | number {
    if (this.#closed) return EBADF;
    const table = this.#map.table;
    return table instanceof RingbufTable ? new EmulatedRingConsumer(table) : EINVAL;
  }
}

/** What a map-in-map compares of a map it is given or made with (map_in_map.c bpf_map_meta_alloc). */
export function innerMetaOf(map: EmulatorMapHandle): InnerMeta {
  const { type, keySize, valueSize, flags, maxEntries } = map.info;
  const lockKind = map.lockKind;
  return { type, keySize, valueSize, flags, maxEntries, lockOffset: map.shape.lockOffset, ...(lockKind ? { lockKind } : {}) };
}
