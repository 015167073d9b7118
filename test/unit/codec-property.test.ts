import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  array, be16, be32, be64, bool, bytes, decodeFromBytes, encodeToBytes, i16, i32, i64, i8, resSpinLock,
  spinLock, struct, u16, u32, u64, u8,
} from '../../src/codec/codec.js';
import type { Codec } from '../../src/codec/types.js';

/** A codec together with an arbitrary of the values it encodes (decode must give them back). */
interface Node {
  codec: Codec<unknown>;
  value: fc.Arbitrary<unknown>;
  label: string;
}

const u64Max = (1n << 64n) - 1n;
const leaf = (label: string, codec: Codec<any>, value: fc.Arbitrary<unknown>): Node => ({ codec, value, label });

const leaves: Node[] = [
  leaf('u8', u8, fc.integer({ min: 0, max: 0xff })),
  leaf('u16', u16, fc.integer({ min: 0, max: 0xffff })),
  leaf('u32', u32, fc.integer({ min: 0, max: 0xffffffff })),
  leaf('u64', u64, fc.bigInt({ min: 0n, max: u64Max })),
  leaf('i8', i8, fc.integer({ min: -0x80, max: 0x7f })),
  leaf('i16', i16, fc.integer({ min: -0x8000, max: 0x7fff })),
  leaf('i32', i32, fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  leaf('i64', i64, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })),
  leaf('be16', be16, fc.integer({ min: 0, max: 0xffff })),
  leaf('be32', be32, fc.integer({ min: 0, max: 0xffffffff })),
  leaf('be64', be64, fc.bigInt({ min: 0n, max: u64Max })),
  leaf('bool', bool, fc.boolean()),
  // Decode gives 0 for a lock word whatever it holds; 0 is also what encode accepts.
  leaf('spinLock', spinLock, fc.constant(0)),
  leaf('resSpinLock', resSpinLock, fc.constant(0)),
];

const leafArb: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...leaves),
  // Up to 40 covers both the byte-loop (≤ 32) and the bulk-copy path of bytes(n).
  fc.integer({ min: 0, max: 40 }).map((n) => leaf(`bytes(${n})`, bytes(n), fc.uint8Array({ minLength: n, maxLength: n }))),
);

/** The shape of a codec tree as plain data, so the same tree can be built twice. */
type Spec = { leaf: Node } | { array: Spec; length: number } | { struct: Spec[] };

function specArb(depth: number): fc.Arbitrary<Spec> {
  const leafSpec = leafArb.map((leaf): Spec => ({ leaf }));
  if (depth === 0) return leafSpec;
  const child = specArb(depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: leafSpec },
    { weight: 1, arbitrary: fc.tuple(child, fc.integer({ min: 0, max: 4 })).map(([el, length]): Spec => ({ array: el, length })) },
    { weight: 2, arbitrary: fc.array(child, { maxLength: 6 }).map((fields): Spec => ({ struct: fields })) },
  );
}

function build(spec: Spec): Node {
  if ('leaf' in spec) return spec.leaf;
  if ('array' in spec) {
    const el = build(spec.array);
    return {
      codec: array(el.codec, spec.length),
      value: fc.array(el.value, { minLength: spec.length, maxLength: spec.length }),
      label: `array(${el.label}, ${spec.length})`,
    };
  }
  const children = spec.struct.map(build);
  const fields: Record<string, Codec<unknown>> = {};
  const values: Record<string, fc.Arbitrary<unknown>> = {};
  children.forEach((c, i) => {
    fields[`f${i}`] = c.codec;
    values[`f${i}`] = c.value;
  });
  return { codec: struct(fields) as Codec<unknown>, value: fc.record(values), label: `struct{${children.map((c) => c.label).join(', ')}}` };
}

/** Runs `make` as under node --disallow-code-generation-from-strings: struct() falls back to its generic closures. */
function withoutCodegen<T>(make: () => T): { result: T; attempts: number } {
  const real = globalThis.Function;
  let attempts = 0;
  globalThis.Function = function disallowed() {
    attempts++;
    throw new EvalError('Code generation from strings disallowed for this context');
  } as unknown as FunctionConstructor;
  try {
    return { result: make(), attempts };
  } finally {
    globalThis.Function = real;
  }
}

const nodeArb = (depth: number): fc.Arbitrary<Node> => specArb(depth).map(build);

/** A codec tree and one of its values. */
const sample = nodeArb(3).chain((node) => node.value.map((value) => ({ node, value })));

describe('encode then decode is the identity', () => {
  test('for every leaf codec', () => {
    for (const node of leaves) {
      fc.assert(
        fc.property(node.value, (value) => {
          expect(decodeFromBytes(node.codec, encodeToBytes(node.codec, value))).toEqual(value);
        }),
        { numRuns: 50 },
      );
    }
  });

  test('for random nested structs and arrays', () => {
    fc.assert(
      fc.property(sample, ({ node, value }) => {
        const decoded = decodeFromBytes(node.codec, encodeToBytes(node.codec, value));
        expect(decoded).toEqual(value);
      }),
      { numRuns: 200 },
    );
  });
});

describe('without code generation, structs behave the same', () => {
  test('same bytes, same decoded values, same errors', () => {
    const specAndValue = specArb(3)
      .filter((spec) => 'struct' in spec && spec.struct.length > 0)
      .chain((spec) => build(spec).value.map((value) => ({ spec, value })));
    fc.assert(
      fc.property(specAndValue, fc.integer({ min: 0, max: 1000 }), ({ spec, value }, seed) => {
        const compiled = build(spec).codec;
        const { result: generic, attempts } = withoutCodegen(() => build(spec).codec);
        expect(attempts).toBeGreaterThan(0); // the fallback path really ran
        const bytes = encodeToBytes(compiled, value);
        // Into a dirty buffer, so a hole the generic writer skipped would show.
        const dirty = new Uint8Array(generic.size).fill(0xaa);
        generic.encode(value, new DataView(dirty.buffer), 0);
        expect(dirty).toEqual(bytes);
        expect(decodeFromBytes(generic, bytes)).toEqual(decodeFromBytes(compiled, bytes));
        // A broken value (one field set to a string, or an extra field) fails the same way on both.
        const broken = { ...(value as object), [seed % 2 ? 'f0' : 'extra']: 'x' };
        const failure = (c: Codec<unknown>) => {
          try {
            encodeToBytes(c, broken);
            return undefined;
          } catch (e) {
            return `${(e as Error).name}: ${(e as Error).message}`;
          }
        };
        const expected = failure(compiled);
        expect(expected).toMatch(/^(TypeError|RangeError): /);
        expect(failure(generic)).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe('every byte of size is written, and only those', () => {
  test('a dirty buffer and a clean one at another offset end up with the same bytes', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 0, max: 9 }), ({ node, value }, at) => {
        const { size } = node.codec;
        const dirty = new Uint8Array(size + 20).fill(0xaa);
        const clean = new Uint8Array(size + 20);
        node.codec.encode(value, new DataView(dirty.buffer), at);
        node.codec.encode(value, new DataView(clean.buffer), 3);
        expect(dirty.subarray(at, at + size)).toEqual(clean.subarray(3, 3 + size));
        // Guard bytes around the value are untouched.
        expect(dirty.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
        expect(dirty.subarray(at + size).every((b) => b === 0xaa)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('layout invariants', () => {
  test('size is a multiple of align; fields are aligned, ordered and do not overlap', () => {
    fc.assert(
      fc.property(nodeArb(3), (node) => {
        const { codec } = node;
        expect(codec.size % codec.align).toBe(0);
        expect(Number.isInteger(Math.log2(codec.align))).toBe(true);
        if (codec.desc.kind === 'struct') {
          let end = 0;
          for (const f of codec.desc.fields) {
            expect(f.offset % f.codec.align).toBe(0);
            expect(f.offset).toBeGreaterThanOrEqual(end);
            // No hole as big as the field's alignment: each field is at the first aligned offset.
            expect(f.offset - end).toBeLessThan(f.codec.align);
            end = f.offset + f.codec.size;
          }
          expect(codec.size).toBeGreaterThanOrEqual(end);
          expect(codec.size - end).toBeLessThan(codec.align);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('integers: decode then encode gives the bytes back', () => {
  const ints: [string, Codec<any>][] = [
    ['u8', u8], ['u16', u16], ['u32', u32], ['u64', u64], ['i8', i8], ['i16', i16], ['i32', i32], ['i64', i64],
    ['be16', be16], ['be32', be32], ['be64', be64],
  ];
  test.each(ints)('%s', (_name, codec) => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: codec.size, maxLength: codec.size }), (b) => {
        expect(encodeToBytes(codec, decodeFromBytes(codec, b))).toEqual(b);
      }),
      { numRuns: 100 },
    );
  });
});

describe('number codecs accept exactly the integers in range', () => {
  const ranges: [string, Codec<number>, number, number][] = [
    ['u8', u8, 0, 0xff], ['u16', u16, 0, 0xffff], ['u32', u32, 0, 0xffffffff], ['i8', i8, -0x80, 0x7f],
    ['i16', i16, -0x8000, 0x7fff], ['i32', i32, -0x80000000, 0x7fffffff], ['be16', be16, 0, 0xffff], ['be32', be32, 0, 0xffffffff],
  ];
  test.each(ranges)('%s', (_name, codec, min, max) => {
    const view = new DataView(new ArrayBuffer(8));
    const candidates = fc.oneof(
      fc.double(),
      fc.integer({ min: min - 1000, max: max + 1000 }),
      fc.constantFrom(min - 1, min, max, max + 1, NaN, Infinity, -Infinity, 0.5),
    );
    fc.assert(
      fc.property(candidates, (v) => {
        const ok = Number.isInteger(v) && v >= min && v <= max;
        if (ok) {
          codec.encode(v, view, 0);
          expect(codec.decode(view, 0)).toBe(v === 0 ? 0 : v); // -0 is written as 0
        } else {
          expect(() => codec.encode(v, view, 0)).toThrow(Number.isNaN(v) ? TypeError : RangeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  test.each([
    ['u64', u64, 0n, u64Max],
    ['be64', be64, 0n, u64Max],
    ['i64', i64, -(1n << 63n), (1n << 63n) - 1n],
  ] as [string, Codec<bigint>, bigint, bigint][])('%s', (_name, codec, min, max) => {
    const view = new DataView(new ArrayBuffer(8));
    fc.assert(
      fc.property(fc.bigInt({ min: min - (1n << 66n), max: max + (1n << 66n) }), (v) => {
        if (v >= min && v <= max) {
          codec.encode(v, view, 0);
          expect(codec.decode(view, 0)).toBe(v);
        } else {
          expect(() => codec.encode(v, view, 0)).toThrow(RangeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
