// BPF helpers as the kernel implements them (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c), over the
// emulator's maps. Helper ids are enum bpf_func_id (include/uapi/linux/bpf.h). A helper returns r0 as an
// unsigned 64-bit value; negative errnos are sign-extended as the kernel's `long` return is (before 6.4
// the inlined map ops' `int` was not: mapOpResult).
import { dynptrData, dynptrRead, dynptrWrite } from './dynptr.js';
import { kptrXchg } from './kptrs.js';
import { errnoByCode } from '../../uapi/errno.js';
import { MapType, UpdateFlags } from '../../uapi/bpf.js';
import type { CpuLocks } from '../cpus/spin-locks.js';
import type { ProgramMap } from '../maps/program-map.js';
import { BloomFilterTable } from '../maps/bloom.js';
import { runValueSlab } from '../maps/shared.js';
import { MapInMapTable } from '../maps/map-in-map.js';
import type { Vm } from './interpreter.js';
import type { TailCallTarget } from './tail-call.js';
import { ProgramFault, regionTag, type ByteRegion, type HandleRegion, type Memory } from './memory.js';
import { BPF_MAX_LOOPS } from '../../uapi/isa.js';
import { funcIdName, HelperId } from '../../uapi/helpers.js';
import { callPacketHelper, packetHelperArity, type PacketRun } from './packet-helpers.js';
import { callSkbMetaHelper, skbMetaHelperArity } from './skb-meta-helpers.js';
import { SkbPacket } from './packet.js';
import { callRingbufHelper } from './ringbuf-helpers.js';

/**
 * How many of r1..r5 each emulated helper reads (its BPF_CALL_n, kernel/bpf/helpers.c & co): compiled code
 * turns only those into BigInts for vm.regs. Helpers not listed get all five.
 */
export const helperArity: Readonly<Record<number, number>> = {
  [HelperId.MapLookupElem]: 2, [HelperId.MapUpdateElem]: 4, [HelperId.MapDeleteElem]: 2, [HelperId.KtimeGetNs]: 0,
  [HelperId.TracePrintk]: 5, [HelperId.GetPrandomU32]: 0, [HelperId.GetSmpProcessorId]: 0, [HelperId.GetCurrentPidTgid]: 0,
  [HelperId.SkbLoadBytes]: 4, [HelperId.GetCurrentUidGid]: 0, [HelperId.GetCurrentComm]: 2, [HelperId.SpinLock]: 1,
  [HelperId.SpinUnlock]: 1, [HelperId.KtimeGetBootNs]: 0, [HelperId.KtimeGetCoarseNs]: 0, [HelperId.ForEachMapElem]: 4,
  [HelperId.Loop]: 4, [HelperId.MapLookupPercpuElem]: 3, [HelperId.MapPushElem]: 3, [HelperId.MapPopElem]: 2,
  [HelperId.MapPeekElem]: 2, [HelperId.TailCall]: 3, [HelperId.GetLocalStorage]: 2, [HelperId.DynptrRead]: 5,
  [HelperId.DynptrWrite]: 5, [HelperId.DynptrData]: 3, [HelperId.KptrXchg]: 2, [HelperId.RingbufOutput]: 4, [HelperId.RingbufReserve]: 3,
  [HelperId.RingbufSubmit]: 2, [HelperId.RingbufDiscard]: 2, [HelperId.RingbufQuery]: 2, [HelperId.RingbufReserveDynptr]: 4,
  [HelperId.RingbufSubmitDynptr]: 2, [HelperId.RingbufDiscardDynptr]: 2, ...packetHelperArity, ...skbMetaHelperArity,
};

/** The helpers the emulator runs (the ones above). */
export const emulatedHelpers: ReadonlySet<number> = new Set(Object.keys(helperArity).map(Number));

/** The task a program's get_current_* helpers describe (configured on the Emulator). */
export interface EmulatedTask {
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  comm: string;
}

/** What helpers need from the run: its CPU, the task, a seeded random source, the trace log. */
export interface HelperContext {
  cpu: number;
  task: EmulatedTask;
  random(): number;
  trace(line: string): void;
  /** The run's packet and its limits, for the packet helpers (packet-helpers.ts). */
  packetRun?: PacketRun;
  /** The locks this emulated CPU holds (bpf_spin_lock, bpf_res_spin_lock). */
  locks: CpuLocks;
  /** What a prog array's slot runs, as this thread knows it (bpf_tail_call, tail-call.ts). */
  tailCallTarget?: TailCallTarget;
  /**
   * The test run's cgroup storage, by map (bpf_get_local_storage): net/bpf/test_run.c bpf_cgroup_storages_alloc
   * makes it zeroed for each BPF_PROG_TEST_RUN, and the run's repeats share it.
   */
  localStorage?: Map<object, Uint8Array>;
  /** A flow dissector's packet (bpf_skb_load_bytes reads it: bpf_flow_dissector_load_bytes). */
  flowPacket?: Uint8Array;
  /** The map a map-in-map's slot names by id, where this thread did not store it (a worker CPU). */
  innerMap?: (id: number) => ProgramMap | undefined;
}

/** bpf_get_prandom_u32's stream on the emulator: xorshift32 (deterministic from a seed). */
export function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));
const EINVAL = u64(-errnoByCode.EINVAL);
const E2BIG = u64(-errnoByCode.E2BIG);
/** isa.ts BPF_MAX_LOOPS as a bigint: bpf_loop refuses more iterations (E2BIG). */
const MAX_LOOPS = BigInt(BPF_MAX_LOOPS);

/** Calls helper `id` with vm.regs[1..5]; throws ProgramFault for helpers the emulator does not have. */
export function callHelper(id: number, vm: Vm, ctx: HelperContext): bigint {
  const r = vm.regs;
  const t = vm.tags;
  const mem = vm.memory;
  switch (id) {
    case HelperId.MapLookupElem: {
      const id = mapLookup(mem, ctx.cpu, t[1]!, Number(r[1]! >> 32n), Number(r[1]! & 0xffffffffn), t[2]!, Number(r[2]! >> 32n), Number(r[2]! & 0xffffffffn), ctx.innerMap);
      vm.r0Tag = id | 0;
      return BigInt(id) << 32n;
    }
    case HelperId.MapLookupPercpuElem: {
      const map = mapOf(vm, 1);
      const key = mem.read(t[2]!, r[2]!, map.info.keySize);
      // kernel/bpf/hashtab.c htab_percpu_map_lookup_percpu_elem: a CPU past nr_cpu_ids → NULL.
      const wanted = Number(r[3]! & 0xffffffffn);
      if (!map.shape.percpu || wanted >= map.shape.ncpu) return 0n;
      const value = valuePointer(vm, map, key, wanted);
      vm.r0Tag = regionTag(value);
      return value;
    }
    case HelperId.MapUpdateElem: {
      const map = mapOf(vm, 1);
      const key = mem.read(t[2]!, r[2]!, map.info.keySize);
      const value = mem.read(t[3]!, r[3]!, map.info.valueSize);
      // BPF_CALL_4(bpf_map_update_elem, ..., u64, flags): every map's update refuses flags above
      // BPF_EXIST (| BPF_F_LOCK), so a set high word is EINVAL, not truncated away.
      if (r[4]! >> 32n !== 0n) return mapOpResult(vm, EINVAL);
      const flags = Number(r[4]!);
      // kernel/bpf/hashtab.c htab_map_update_elem: BPF_F_LOCK on a value without a lock is EINVAL (the
      // syscall path checks this in map_update_elem; a program reaches the map's op directly). Per-CPU and
      // LRU hashes refuse F_LOCK as an unknown flag, and the array checks it itself (after E2BIG/EEXIST).
      if ((flags & UpdateFlags.Lock) && map.info.type === MapType.Hash && map.shape.lockOffset < 0) return mapOpResult(vm, EINVAL);
      return mapOpResult(vm, u64(map.program.update(key, value, flags, ctx.cpu)));
    }
    case HelperId.MapDeleteElem: {
      const map = mapOf(vm, 1);
      return mapOpResult(vm, u64(map.program.delete(mem.read(t[2]!, r[2]!, map.info.keySize), ctx.cpu)));
    }
    // BPF_CALL_3(bpf_map_push_elem, map, value, u64 flags) and the pop/peek BPF_CALL_2s, which do_misc_fixups
    // turns into direct calls of the map's op (so their r0 is the op's `long`, or `int` before 6.4).
    case HelperId.MapPushElem: {
      const map = mapOf(vm, 1);
      return mapOpResult(vm, u64(map.program.push(mem.read(t[2]!, r[2]!, map.info.valueSize), r[3]!)));
    }
    case HelperId.MapPopElem:
    case HelperId.MapPeekElem: {
      const map = mapOf(vm, 1);
      const size = map.info.valueSize;
      if (id === HelperId.MapPeekElem && map.table instanceof BloomFilterTable) {
        // bloom_map_peek_elem reads the value (resolve_map_arg_type makes it an input).
        return mapOpResult(vm, u64(map.program.peek(mem.read(t[2]!, r[2]!, size))));
      }
      // __queue_map_get / __stack_map_get: the value, or value_size zeros when empty (memset(value, 0, ...)).
      const out = new Uint8Array(size);
      const rc = id === HelperId.MapPopElem ? map.program.pop(out) : map.program.peek(out);
      if (rc !== 0) out.fill(0);
      mem.write(t[2]!, r[2]!, out);
      return mapOpResult(vm, u64(rc));
    }
    case HelperId.GetLocalStorage: {
      // kernel/bpf/cgroup.c bpf_get_local_storage: the storage this run has for the map's type (its flags
      // are 0: the verifier's rule). Per-CPU storage is this CPU's, which for a test run is the same thing.
      const map = mapOf(vm, 1);
      const storage = ctx.localStorage;
      if (storage === undefined) throw new ProgramFault('bpf_get_local_storage outside a test run');
      let bytes = storage.get(map.table);
      if (bytes === undefined) storage.set(map.table, (bytes = runValueSlab(map.info.valueSize)));
      const value = bytes;
      const ptr = mem.addRegion({ name: `map '${map.info.name}' storage`, size: value.length, writable: true, bytes: () => value, base: () => 0 }, 'run');
      vm.r0Tag = regionTag(ptr);
      return ptr;
    }
    case HelperId.KtimeGetNs:
    case HelperId.KtimeGetBootNs:
    case HelperId.KtimeGetCoarseNs:
      return process.hrtime.bigint();
    case HelperId.GetPrandomU32:
      return BigInt(ctx.random() >>> 0);
    case HelperId.GetSmpProcessorId:
      return BigInt(ctx.cpu);
    case HelperId.GetCurrentPidTgid:
      return (BigInt(ctx.task.tgid) << 32n) | BigInt(ctx.task.pid);
    case HelperId.GetCurrentUidGid:
      return (BigInt(ctx.task.gid) << 32n) | BigInt(ctx.task.uid);
    case HelperId.GetCurrentComm: {
      // kernel/bpf/helpers.c bpf_get_current_comm: strscpy into size bytes, zero-padded.
      const size = Number(r[2]! & 0xffffffffn);
      const out = new Uint8Array(size);
      out.set(new TextEncoder().encode(ctx.task.comm).subarray(0, Math.max(0, size - 1)));
      mem.write(t[1]!, r[1]!, out);
      return 0n;
    }
    case HelperId.TracePrintk: {
      const size = Number(r[2]! & 0xffffffffn);
      const fmt = mem.read(t[1]!, r[1]!, size);
      const line = formatPrintk(fmt, [r[3]!, r[4]!, r[5]!]);
      ctx.trace(line);
      return BigInt(line.length + 1);
    }
    case HelperId.SkbLoadBytes: {
      // net/core/filter.c bpf_skb_load_bytes: copies len bytes from skb->data + offset; out of range →
      // the destination zeroed and -EFAULT.
      const offset = Number(BigInt.asUintN(32, r[2]!));
      const len = Number(r[4]! & 0xffffffffn);
      if (ctx.flowPacket) {
        // bpf_flow_dissector_load_bytes (no skb in a test run): an offset past U16_MAX or a range past the
        // packet zeroes the destination, -EFAULT.
        const data = ctx.flowPacket;
        const ok = offset <= 0xffff && offset + len <= data.length;
        mem.write(t[3]!, r[3]!, ok ? data.subarray(offset, offset + len) : new Uint8Array(len));
        return ok ? 0n : u64(-errnoByCode.EFAULT);
      }
      const skb = ctx.packetRun?.packet;
      if (!(skb instanceof SkbPacket)) throw new ProgramFault('bpf_skb_load_bytes needs an skb context');
      const data = skb.bytes();
      if (offset > 0x7fffffff || offset + len > data.length) {
        mem.write(t[3]!, r[3]!, new Uint8Array(len));
        return u64(-errnoByCode.EFAULT);
      }
      mem.write(t[3]!, r[3]!, data.subarray(offset, offset + len));
      return 0n;
    }
    case HelperId.Loop:
      return bpfLoop(vm);
    case HelperId.ForEachMapElem:
      return mapOpResult(vm, forEachMapElem(vm, ctx.cpu));
    case HelperId.DynptrRead:
      return dynptrRead(vm, ctx.packetRun);
    case HelperId.DynptrWrite:
      return dynptrWrite(vm, ctx.packetRun);
    case HelperId.DynptrData:
      return dynptrData(vm);
    case HelperId.KptrXchg:
      return kptrXchg(vm);
    case HelperId.RingbufOutput:
    case HelperId.RingbufReserve:
    case HelperId.RingbufSubmit:
    case HelperId.RingbufDiscard:
    case HelperId.RingbufQuery:
    case HelperId.RingbufReserveDynptr:
    case HelperId.RingbufSubmitDynptr:
    case HelperId.RingbufDiscardDynptr:
      return callRingbufHelper(id, vm);
    case HelperId.SpinLock:
      ctx.locks.spinLock(mem.view(t[1]!, r[1]!, 4, 'write'));
      return 0n;
    case HelperId.SpinUnlock:
      ctx.locks.spinUnlock(mem.view(t[1]!, r[1]!, 4, 'write'));
      return 0n;
    default:
      if (id in packetHelperArity && ctx.packetRun) return callPacketHelper(id, vm, ctx.packetRun);
      if (id in skbMetaHelperArity && ctx.packetRun) return callSkbMetaHelper(id, vm, ctx.packetRun);
      throw new ProgramFault(`helper ${funcIdName(id)} (#${id}) is not emulated`);
  }
}

/**
 * r0 after a call the verifier turned into a direct call of the map's op (do_misc_fixups): before 6.4 the
 * op returned `int`, which leaves the upper 32 bits of r0 zero (kernel-version.ts mapOpResultIsInt).
 */
function mapOpResult(vm: Vm, r0: bigint): bigint {
  return vm.program.mapOpResultIsInt ? r0 & 0xffffffffn : r0;
}

/** The map register `reg` points to (a map handle from ld_imm64). */
function mapOf(vm: Vm, reg: number): ProgramMap {
  return vm.memory.handleOf(vm.tags[reg]!, vm.regs[reg]!) as ProgramMap;
}

/**
 * bpf_map_lookup_elem on pointer words and tags (what compiled code calls, and the interpreter through
 * callHelper): the map behind (mapHi, mapLo), the key read in place at (keyHi, keyLo). Returns the value
 * pointer's high word, unsigned (its low word is 0: the region is the value), which is also its tag, or 0
 * for NULL. Allocates nothing once the element has been looked up before in an earlier run (valueRegion,
 * Memory.addRunRegion).
 */
export function mapLookup(
  mem: Memory, cpu: number, mapTag: number, mapHi: number, mapLo: number, keyTag: number, keyHi: number, keyLo: number, innerMap?: (id: number) => ProgramMap | undefined,
): number {
  const map = mem.handleAt(mapTag, mapHi, mapLo) as ProgramMap;
  const key = mem.locate(keyTag, keyHi, keyLo, map.info.keySize);
  const table = map.table;
  if (table instanceof MapInMapTable) {
    // array_of_map_lookup_elem / htab_of_map_lookup_elem: the inner map itself (a map pointer), or NULL.
    const inner = table.programInner(key, mem.located, innerMap) as ProgramMap | undefined;
    return inner === undefined ? 0 : mem.addRunRegion(innerMapRegion(inner));
  }
  const offset = table.programValueOffset(key, cpu, mem.located);
  return offset < 0 ? 0 : mem.addRunRegion(valueRegion(map, offset));
}

/**
 * The value's address in place (0: absent): writes through it change the map (a region over the map's slab).
 * `setRef` as HashTable.programValueOffset.
 */
function valuePointer(vm: Vm, map: ProgramMap, key: Uint8Array, cpu: number, setRef = true): bigint {
  const offset = map.table.programValueOffset(key, cpu, 0, setRef);
  if (offset < 0) return 0n;
  return vm.memory.addRegion(valueRegion(map, offset), 'run');
}

/** The address a program holds for an inner map (a handle, as ld_imm64 of a map gives), one per map. */
const innerMapRegions = new WeakMap<ProgramMap, HandleRegion>();

function innerMapRegion(map: ProgramMap): HandleRegion {
  let region = innerMapRegions.get(map);
  if (region === undefined) innerMapRegions.set(map, (region = { name: `map '${map.info.name}'`, size: 0, handle: map }));
  return region;
}

/** Value regions by map and slab offset: a region is a pure function of both (the slab is the map's for life). */
const valueRegions = new WeakMap<ProgramMap['table'], Map<number, ByteRegion>>();
/** Past this many distinct elements a map's regions are dropped and made anew (a bound, not a rule). */
const MAX_CACHED_VALUE_REGIONS = 4096;

function valueRegion(map: ProgramMap, offset: number): ByteRegion {
  const table = map.table;
  let byOffset = valueRegions.get(table);
  if (byOffset === undefined) valueRegions.set(table, (byOffset = new Map()));
  let region = byOffset.get(offset);
  if (region === undefined) {
    if (byOffset.size >= MAX_CACHED_VALUE_REGIONS) byOffset.clear();
    region = { name: `map '${map.info.name}' value`, size: map.info.valueSize, writable: true, bytes: () => table.values, base: () => offset };
    byOffset.set(offset, region);
  }
  return region;
}

// kernel/bpf/hashtab.c bpf_for_each_hash_elem, kernel/bpf/arraymap.c bpf_for_each_array_elem:
// flags must be 0; callback(map, key, value, ctx) for each element, hash maps bucket by bucket and newest
// first within a bucket (get_next_key's order), arrays by index; per-CPU maps hand this CPU's value.
// The key is read-only to the callback (PTR_TO_MAP_KEY), the value writable in place. A non-zero return
// stops; the result is the number of callbacks made. The keys are taken before the first callback, so an
// element the callback deletes before the walk reaches it is skipped, and one it inserts is not visited
// (the kernel's RCU walk may still see either). Looking the values up sets an LRU map's ref bit, which
// the kernel's walk does not.
function forEachMapElem(vm: Vm, cpu: number): bigint {
  const [, mapPtr, fn, arg, flags] = vm.regs as [bigint, bigint, bigint, bigint, bigint];
  const [, mapTag, fnTag, argTag] = vm.tags as ArrayLike<number> as [number, number, number, number];
  if (flags !== 0n) return EINVAL;
  const map = mapOf(vm, 1);
  const entry = vm.memory.codeOf(fnTag, fn).insn;
  const keySize = map.info.keySize;
  const keys: Uint8Array[] = [];
  for (let key: Uint8Array | null = null; ;) {
    const next = new Uint8Array(keySize);
    if (map.table.getNextKey(key, next) !== 0) break;
    keys.push((key = next));
  }
  let visited = 0n;
  for (const key of keys) {
    // The kernel's walk reads each element in place: no LRU ref bit (hashtab.c bpf_for_each_hash_elem).
    const value = valuePointer(vm, map, key, cpu, false);
    if (value === 0n) continue;
    const keyRegion: ByteRegion = { name: `map '${map.info.name}' key`, size: keySize, writable: false, bytes: () => key, base: () => 0 };
    visited++;
    const keyPtr = vm.memory.addRegion(keyRegion, 'run');
    if (vm.callFunction(entry, [mapPtr, keyPtr, value, arg], [mapTag, regionTag(keyPtr), regionTag(value), argTag]) !== 0n) break;
  }
  return visited;
}

// kernel/bpf/bpf_iter.c bpf_loop: flags must be 0, nr_loops ≤ BPF_MAX_LOOPS; the callback gets (i, ctx)
// and a return of 1 stops early; returns the number of iterations done. A call the verifier inlines
// (verifier.c inline_bpf_loop; which ones: checker/loop-inline.ts) runs other code: flags is known 0, the
// full 64-bit r1 is compared with BPF_MAX_LOOPS, and -E2BIG is a 32-bit move, so zero-extended; the
// helper takes a u32 nr_loops and returns -E2BIG sign-extended.
function bpfLoop(vm: Vm): bigint {
  const [, nr, fn, arg, flags] = vm.regs as [bigint, bigint, bigint, bigint, bigint];
  const [, , fnTag, argTag] = vm.tags as ArrayLike<number> as [number, number, number, number];
  const inlined = vm.program.inlinedLoopCalls?.has(vm.pc) === true;
  if (!inlined && flags !== 0n) return EINVAL;
  const limit = inlined ? nr : nr & 0xffffffffn;
  if (limit > MAX_LOOPS) return inlined ? E2BIG & 0xffffffffn : E2BIG;
  const n = Number(limit);
  const entry = vm.memory.codeOf(fnTag, fn).insn;
  const tags = [0, argTag];
  let i = 0;
  while (i < n) {
    const ret = vm.callFunction(entry, [BigInt(i), arg], tags);
    i++;
    if (ret === 1n) break;
  }
  return BigInt(i);
}

/** bpf_trace_printk's format: %d %i %u %x %ld %lld %llu %lx %llx %c %% (kernel/trace/bpf_trace.c). */
function formatPrintk(fmt: Uint8Array, args: bigint[]): string {
  const end = fmt.indexOf(0);
  const text = new TextDecoder().decode(fmt.subarray(0, end < 0 ? fmt.length : end));
  let next = 0;
  return text.replace(/%(l{0,2})([diuxcp%])/g, (all, l: string, conv: string) => {
    if (conv === '%') return '%';
    const raw = args[next++] ?? 0n;
    const bits = l.length > 0 ? 64 : 32;
    switch (conv) {
      case 'd': case 'i': return BigInt.asIntN(bits, raw).toString();
      case 'u': return BigInt.asUintN(bits, raw).toString();
      case 'x': return BigInt.asUintN(bits, raw).toString(16);
      case 'p': return `0x${raw.toString(16)}`;
      case 'c': return String.fromCharCode(Number(raw & 0xffn));
      default: return all;
    }
  }).replace(/\n$/, '');
}

