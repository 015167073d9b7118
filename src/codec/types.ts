// The shape every codec has. Implementations live in codec.ts; BTF generation (src/btf) reads `desc`.

/** What a codec is, structurally: enough to emit BTF and to find lock fields. */
export type CodecDesc =
  | { kind: 'int'; bits: 8 | 16 | 32 | 64; signed: boolean; bigEndian: boolean }
  | { kind: 'bool' }
  | { kind: 'bytes'; length: number }
  | { kind: 'array'; element: Codec<unknown>; length: number }
  | { kind: 'struct'; name?: string; fields: readonly StructField[] }
  | { kind: 'lock'; lock: 'spin' | 'res' };

export interface StructField {
  name: string;
  offset: number;
  codec: Codec<unknown>;
}

export interface Codec<T> {
  /** sizeof in C, including trailing padding. */
  readonly size: number;
  /** alignof in C. */
  readonly align: number;
  readonly desc: CodecDesc;
  /** Writes `size` bytes at `offset`, padding as zeros. Throws RangeError/TypeError for bad values. */
  encode(value: T, view: DataView, offset: number): void;
  decode(view: DataView, offset: number): T;
}

/** The TypeScript type a codec produces: `Infer<typeof myStruct>`. */
export type Infer<C> = C extends Codec<infer T> ? T : never;
