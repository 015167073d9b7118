// What every emulated map shares: its attributes, the element flags' rule, and the lock field rule for copies.
import { roundUp8 } from '../map-layout.js';
import { UpdateFlags } from '../constants.js';
import { EEXIST, ENOENT } from '../errno.js';
import type { LockField } from '../engine.js';


// The uapi names of UpdateFlags (src/constants.ts), as the storage code compares them in hot paths.
export const BPF_NOEXIST = UpdateFlags.NoExist;
export const BPF_EXIST = UpdateFlags.Exist;
export const BPF_F_LOCK = UpdateFlags.Lock;

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
}

/** A value out to a syscall caller: `n` bytes, or for per-CPU maps without padding, value_size of each slot. */
export function copyValueOut(src: Uint8Array, base: number, out: Uint8Array, off: number, n: number, shape: MapShape): void {
  if (!shape.percpu || shape.percpuPadding) return copyBytes(src, base, out, off, n);
  const slot = roundUp8(shape.valueSize);
  for (let cpu = 0; cpu < shape.ncpu; cpu++) copyBytes(src, base + cpu * slot, out, off + cpu * slot, shape.valueSize);
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

/** A value stored or returned by the syscall: the lock word is never copied (kernel copy_map_value). */
export function clearLock(buf: Uint8Array, offset: number, lockOffset: number): void {
  if (lockOffset >= 0) buf.fill(0, offset + lockOffset, offset + lockOffset + 4);
}

/** Copies a value but its lock word (copy_map_value_locked: the destination's word is left as it is). */
export function copyExceptLock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number, lockOffset: number): void {
  if (lockOffset < 0) return copyBytes(src, srcOff, dst, dstOff, n);
  copyBytes(src, srcOff, dst, dstOff, lockOffset);
  copyBytes(src, srcOff + lockOffset + 4, dst, dstOff + lockOffset + 4, n - lockOffset - 4);
}

/** Copies n bytes; a plain loop for small values, where subarray() + set() would allocate per call. */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (n > 64) {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
    return;
  }
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
}
