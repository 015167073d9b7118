// Argument checks of the packet builders: a wrong type is a TypeError, a value out of its field's range a
// RangeError, each naming the builder and the field (`packet.tcp: sport must fit in 16 bits, got 70000`).
import { describeValue } from '../errors/errors.js';

/** An unsigned integer of `bits` bits (at most 32). */
export function checkUint(op: string, what: string, n: unknown, bits: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`${op}: ${what} must be an integer, got ${describeValue(n)}`);
  if (n < 0 || n > 2 ** bits - 1) throw new RangeError(`${op}: ${what} must fit in ${bits} bits, got ${n}`);
  return n;
}

export function checkBool(op: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${what} must be a boolean, got ${describeValue(v)}`);
  return v;
}

export function checkArray<T>(op: string, what: string, v: unknown): readonly T[] {
  if (!Array.isArray(v)) throw new TypeError(`${op}: ${what} must be an array, got ${describeValue(v)}`);
  return v as readonly T[];
}

export function checkObject(op: string, what: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${op}: ${what} must be an object, got ${describeValue(v)}`);
  return v as Record<string, unknown>;
}

export function checkData(op: string, what: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${op}: ${what} must be a Uint8Array, got ${describeValue(v)}`);
  return v;
}
