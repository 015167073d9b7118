// What every emulated map shares: its attributes, the element flags' rule, and the lock field rule for copies.
import { roundUp8 } from '../../seam/map-layout.js';
import { UpdateFlags } from '../../uapi/bpf.js';
import { EEXIST, EINVAL, ENOENT, ERANGE } from '../../uapi/errno.js';
import type { LockField } from '../../seam/engine.js';
import { ObjectHeap } from '../object-heap.js';


// The uapi names of UpdateFlags (src/uapi/bpf.ts), as the storage code compares them in hot paths.
export const BPF_ANY = UpdateFlags.Any;
export const BPF_NOEXIST = UpdateFlags.NoExist;
export const BPF_EXIST = UpdateFlags.Exist;
export const BPF_F_LOCK = UpdateFlags.Lock;
export const BPF_F_CPU = UpdateFlags.Cpu;
export const BPF_F_ALL_CPUS = UpdateFlags.AllCpus;
/** Either per-CPU element flag: the op's value buffer is one value_size value (syscall.c bpf_map_value_size). */
export const CPU_FLAGS = BPF_F_CPU | BPF_F_ALL_CPUS;

/** The shape of one emulated map, fixed at creation. */
export interface MapShape {
  keySize: number;
  valueSize: number;
  maxEntries: number;
  ncpu: number;
  percpu: boolean;
  /**
   * Per-CPU maps: the syscall's lookup copies each CPU's round_up(value_size, 8) slot whole, padding
   * included (kernel-version.ts percpuLookupCopiesPadding); else only value_size bytes of each.
   */
  percpuPadding: boolean;
  /** The lock word's offset in the value, or -1. Userspace never reads or writes it (it reads as 0). */
  lockOffset: number;
  /**
   * The value's kptr fields (8 bytes each; `referenced`: a `__kptr`, whose object bpf_obj_free_fields drops).
   * Like the lock word, copies in and out skip them (they read as 0); an element overwritten or deleted lets
   * go of its objects. Empty for most maps.
   */
  kptrs: readonly { offset: number; referenced: boolean }[];
  /** The Emulator's object heap (object-heap.ts), where a kptr field's objects live; set when `kptrs` is not empty. */
  objectHeap?: SharedArrayBuffer;
}

/**
 * A value out to a syscall caller: `n` bytes, or for per-CPU maps without padding, value_size of each slot
 * and zeros for the slot's padding (since 7.0 an update never stores the padding, so the kernel's whole-slot
 * copy returns zeros there).
 */
export function copyValueOut(src: Uint8Array, base: number, out: Uint8Array, off: number, n: number, shape: MapShape): void {
  if (!shape.percpu || shape.percpuPadding) return copyBytes(src, base, out, off, n);
  const slot = roundUp8(shape.valueSize);
  for (let cpu = 0; cpu < shape.ncpu; cpu++) {
    const at = off + cpu * slot;
    copyBytes(src, base + cpu * slot, out, at, shape.valueSize);
    out.fill(0, at + shape.valueSize, at + slot);
  }
}

/**
 * include/linux/bpf.h bpf_map_check_op_flags (7.0+), for element flags split into their low 32 bits and
 * their upper 32 (BPF_F_CPU's CPU): low bits outside `allowed` are EINVAL; BPF_F_LOCK needs a bpf_spin_lock;
 * upper bits only with BPF_F_CPU; BPF_F_CPU / BPF_F_ALL_CPUS only on per-CPU maps (bpf_map_supports_cpu_flags)
 * and not both; a CPU at or past num_possible_cpus is ERANGE. In this order.
 */
export function checkOpFlags(low: number, cpu: number, allowed: number, spinLock: boolean, shape: MapShape): number {
  if (low & ~allowed) return EINVAL;
  if ((low & BPF_F_LOCK) && !spinLock) return EINVAL;
  if (!(low & BPF_F_CPU) && cpu !== 0) return EINVAL;
  if (low & CPU_FLAGS) {
    if (!shape.percpu) return EINVAL;
    if ((low & CPU_FLAGS) === CPU_FLAGS) return EINVAL;
    if ((low & BPF_F_CPU) && cpu >= shape.ncpu) return ERANGE;
  }
  return 0;
}

/**
 * A per-CPU map's own check of a syscall update's flags, after bpf_map_check_op_flags (7.0+: hashtab.c
 * htab_map_check_update_flags with onallcpus, arraymap.c bpf_percpu_array_update): no BPF_F_LOCK, and no
 * low bits above BPF_F_ALL_CPUS. Before 7.0 these maps refused everything above BPF_EXIST.
 */
export function checkPercpuUpdateFlags(low: number): number {
  return (low & BPF_F_LOCK) || low > BPF_F_ALL_CPUS ? EINVAL : 0;
}

export function lockOffsetOf(locks: readonly LockField[] | undefined): number {
  return locks && locks.length > 0 ? locks[0]!.offset : -1;
}

/** check_flags() in kernel/bpf/hashtab.c: NOEXIST on a present key, EXIST on a missing one. */
export function checkFlags(exists: boolean, flags: number): number {
  const op = flags & ~BPF_F_LOCK;
  if (exists && op === BPF_NOEXIST) return EEXIST;
  if (!exists && op === BPF_EXIST) return ENOENT;
  return 0;
}

/**
 * A value stored or returned by the syscall: the lock word and kptr fields are never copied (kernel
 * copy_map_value skips a record's special fields; check_and_init_map_value zeroes them in what a lookup returns).
 */
export function clearSpecial(buf: Uint8Array, offset: number, shape: MapShape): void {
  const { lockOffset, kptrs } = shape;
  if (lockOffset >= 0) buf.fill(0, offset + lockOffset, offset + lockOffset + 4);
  for (const k of kptrs) buf.fill(0, offset + k.offset, offset + k.offset + 8);
}

/**
 * Copies n bytes of a value but its special fields (copy_map_value, copy_map_value_locked: the destination's
 * lock word and kptr fields are left as they are).
 */
export function copyExceptSpecial(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number, shape: MapShape): void {
  const { lockOffset, kptrs } = shape;
  if (kptrs.length === 0) {
    // The common case, on every update of a lock-bearing map: two copies around the lock word, nothing made.
    if (lockOffset < 0) return copyBytes(src, srcOff, dst, dstOff, n);
    copyBytes(src, srcOff, dst, dstOff, lockOffset);
    return copyBytes(src, srcOff + lockOffset + 4, dst, dstOff + lockOffset + 4, n - lockOffset - 4);
  }
  let at = 0;
  const skip = (off: number, size: number): void => {
    if (off >= n) return;
    copyBytes(src, srcOff + at, dst, dstOff + at, off - at);
    at = off + size;
  };
  // Special fields never overlap (btf_parse_fields), so in offset order they split the value in runs.
  const fields = [...(lockOffset >= 0 ? [{ offset: lockOffset, size: 4 }] : []), ...kptrs.map((k) => ({ offset: k.offset, size: 8 }))];
  for (const f of fields.sort((a, b) => a.offset - b.offset)) skip(f.offset, f.size);
  if (at < n) copyBytes(src, srcOff + at, dst, dstOff + at, n - at);
}

/** bpf_obj_free_fields for an element's value at `base` of `values`: its referenced kptrs' objects dropped. */
export function freeKptrs(values: Uint8Array, base: number, shape: MapShape): void {
  if (shape.objectHeap === undefined) return;
  const referenced = shape.kptrs.filter((k) => k.referenced).map((k) => k.offset);
  if (referenced.length > 0) ObjectHeap.of(shape.objectHeap).releaseFields(values, base, referenced);
}

/** Copies n bytes; a plain loop for small values, where subarray() + set() would allocate per call. */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (n > 64) {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
    return;
  }
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
}
