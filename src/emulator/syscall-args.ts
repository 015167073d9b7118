// The addon's argument checks (native/args.h) with the same classes and messages, so a raw emulator handle
// refuses a malformed buffer exactly as the kernel engine does instead of reading or writing past a slab.
import type { ElemFlags } from '../seam/engine.js';
import { CPU_FLAGS } from './maps/storage.js';

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedTagGetter = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag)!.get!;
const typedLengthGetter = Object.getOwnPropertyDescriptor(typedArrayProto, 'length')!.get!;

/** The typed array kind from its internal slot ('Uint8Array' for Buffers too); undefined for anything else. */
export function typedTag(v: unknown): string | undefined {
  return typedTagGetter.call(v) as string | undefined;
}

export function typedLength(v: unknown): number {
  return typedLengthGetter.call(v) as number;
}

/** std::to_string(double), as the addon prints numbers in its messages. */
function cDouble(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  return Math.abs(d) < 1e21 ? d.toFixed(6) : `${BigInt(d)}.000000`;
}

export const args = {
  u8(v: unknown, name: string): number {
    if (typedTag(v) !== 'Uint8Array') throw new TypeError(`${name} must be a Uint8Array`);
    return typedLength(v);
  },
  /** The length, or -1 for null/undefined. */
  u8OrNull(v: unknown, name: string): number {
    return v === null || v === undefined ? -1 : args.u8(v, name);
  },
  u8Exact(v: unknown, name: string, expected: number): void {
    const n = args.u8(v, name);
    if (n !== expected) throw new RangeError(`${name} must be ${expected} bytes, got ${n}`);
  },
  u8AtLeast(v: unknown, name: string, minimum: number): void {
    const n = args.u8(v, name);
    if (n < minimum) throw new RangeError(`${name} must be at least ${minimum} bytes, got ${n}`);
  },
  /** `min` bytes, or (when different) `alt`. */
  u8OneOf(v: unknown, name: string, min: number, alt: number): void {
    const n = args.u8(v, name);
    if (n === min || n === alt) return;
    throw new RangeError(`${name} must be ${min} bytes (or ${alt} with BPF_F_CPU or BPF_F_ALL_CPUS), got ${n}`);
  },
  /** Element flags: a u32 number as the addon takes them, or a bigint carrying the kernel's whole u64. */
  flags(v: unknown, name: string): void {
    if (typeof v !== 'bigint') return args.u32(v, name);
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`${name} must be in [0, 18446744073709551615], got ${v}`);
  },
  u32(v: unknown, name: string): void {
    if (typeof v !== 'number') throw new TypeError(`${name} must be a number`);
    if (Number.isNaN(v) || Math.trunc(v) !== v) throw new TypeError(`${name} must be an integer, got ${Number.isNaN(v) ? 'NaN' : cDouble(v)}`);
    if (v < 0 || v > 4294967295) throw new RangeError(`${name} must be in [0, 4294967295], got ${cDouble(v)}`);
  },
  path(v: unknown, name: string): void {
    if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
    if (v === '') throw new TypeError(`${name} must be a non-empty string`);
    if (v.includes('\0')) throw new TypeError(`${name} must not contain NUL characters`);
  },
};

/** Flags (not yet checked, so possibly anything) that carry BPF_F_CPU or BPF_F_ALL_CPUS. */
export function hasCpuFlag(flags: unknown): boolean {
  return (typeof flags === 'number' || typeof flags === 'bigint') && (flagsLow(flags) & CPU_FLAGS) !== 0;
}

/** The low 32 bits of element flags (the flag bits proper). */
export function flagsLow(flags: ElemFlags): number {
  return typeof flags === 'bigint' ? Number(BigInt.asUintN(32, flags)) : flags;
}

/** The upper 32 bits of element flags: BPF_F_CPU's CPU (a u32 number has none). */
export function flagsCpu(flags: ElemFlags): number {
  return typeof flags === 'bigint' ? Number(BigInt.asUintN(32, flags >> 32n)) : 0;
}
