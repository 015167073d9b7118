// The codecs' layout must be C's: a BPF program compiled by clang reads the same bytes userspace
// wrote. The C side is written by hand (not generated from the codecs), compiled with the host gcc
// and run to print sizeof/alignof/offsetof; and the same structs are checked with _Static_assert
// under `clang -target bpf`, the compiler that builds the BPF programs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  array, be16, be32, be64, bool, bytes, i16, i32, i64, i8, resSpinLock, spinLock, struct, u16, u32, u64, u8,
} from '../../src/codec/codec.js';
import type { Codec } from '../../src/codec/types.js';

const cStructs = `
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
/* Local copies (include/uapi/linux/bpf.h), so no kernel headers are needed. */
struct bpf_spin_lock { uint32_t val; };
struct bpf_res_spin_lock { uint32_t val; };

struct mixed { uint8_t a; uint64_t b; uint16_t c; uint32_t d; uint8_t e; };
struct inner { uint8_t tag; uint32_t count; };
struct outer { uint16_t x; struct inner in; uint8_t arr[3]; uint64_t big[2]; int8_t z; };
struct with_lock { struct bpf_spin_lock lock; uint64_t hits; uint8_t flag; };
struct lock_mid { uint8_t a; struct bpf_spin_lock lock; uint16_t b; };
struct with_res_lock { uint16_t a; struct bpf_res_spin_lock lock; uint64_t n; };
struct items { struct inner item[3]; uint8_t tail; };
struct small { uint8_t a; uint8_t b; uint8_t c; };
struct net_key { uint32_t saddr; uint32_t daddr; uint16_t sport; uint16_t dport; uint8_t proto; };
struct signed_mix { int16_t a; int64_t b; int32_t c; int8_t d; };
struct flags { bool on; uint16_t n; bool off; };
struct blob { uint8_t kind; unsigned char data[13]; uint64_t be; };
struct deep { uint8_t a; struct outer o[2]; struct with_lock wl; uint16_t z; };
`;

// The same structs as codecs. be32/be16/be64 are plain unsigned integers to the C compiler.
const inner = struct({ tag: u8, count: u32 });
const outer = struct({ x: u16, in: inner, arr: array(u8, 3), big: array(u64, 2), z: i8 });
const withLock = struct({ lock: spinLock, hits: u64, flag: u8 });
const codecs: Record<string, Codec<unknown>> = {
  mixed: struct({ a: u8, b: u64, c: u16, d: u32, e: u8 }),
  inner,
  outer,
  with_lock: withLock,
  lock_mid: struct({ a: u8, lock: spinLock, b: u16 }),
  with_res_lock: struct({ a: u16, lock: resSpinLock, n: u64 }),
  items: struct({ item: array(inner, 3), tail: u8 }),
  small: struct({ a: u8, b: u8, c: u8 }),
  net_key: struct({ saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 }),
  signed_mix: struct({ a: i16, b: i64, c: i32, d: i8 }),
  flags: struct({ on: bool, n: u16, off: bool }),
  blob: struct({ kind: u8, data: bytes(13), be: be64 }),
  deep: struct({ a: u8, o: array(outer, 2), wl: withLock, z: u16 }),
};

interface Layout {
  size: number;
  align: number;
  offsets: Record<string, number>;
}

function fieldsOf(codec: Codec<unknown>): { name: string; offset: number }[] {
  if (codec.desc.kind !== 'struct') throw new Error('not a struct');
  return codec.desc.fields.map((f) => ({ name: f.name, offset: f.offset }));
}

/** A C program printing "S name size align" and "F name field offset" for every struct above. */
function layoutProgram(): string {
  const lines: string[] = [];
  for (const [name, codec] of Object.entries(codecs)) {
    lines.push(`  printf("S ${name} %zu %zu\\n", sizeof(struct ${name}), _Alignof(struct ${name}));`);
    for (const f of fieldsOf(codec)) {
      lines.push(`  printf("F ${name} ${f.name} %zu\\n", offsetof(struct ${name}, ${f.name}));`);
    }
  }
  return `${cStructs}\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`;
}

function parseLayouts(out: string): Record<string, Layout> {
  const layouts: Record<string, Layout> = {};
  for (const line of out.trim().split('\n')) {
    const [kind, name, a, b] = line.split(' ') as [string, string, string, string?];
    if (kind === 'S') layouts[name] = { size: Number(a), align: Number(b), offsets: {} };
    else layouts[name]!.offsets[a] = Number(b);
  }
  return layouts;
}

function codecLayout(codec: Codec<unknown>): Layout {
  return {
    size: codec.size,
    align: codec.align,
    offsets: Object.fromEntries(fieldsOf(codec).map((f) => [f.name, f.offset])),
  };
}

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-codec-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gcc = has('gcc');
if (!gcc) console.log('codec-layout: skipping the gcc comparison: gcc is not installed');

describe.skipIf(!gcc)('layout equals gcc (host ABI)', () => {
  let c: Record<string, Layout>;
  beforeAll(() => {
    const src = join(dir, 'layout.c');
    const bin = join(dir, 'layout');
    writeFileSync(src, layoutProgram());
    execFileSync('gcc', ['-std=c11', '-Wall', '-Werror', '-o', bin, src], { stdio: 'pipe' });
    c = parseLayouts(execFileSync(bin, { encoding: 'utf8' }));
  });

  test('every struct was measured', () => {
    expect(Object.keys(c).sort()).toEqual(Object.keys(codecs).sort());
  });

  test.each(Object.keys(codecs))('struct %s: sizeof, alignof and every offsetof', (name) => {
    expect(codecLayout(codecs[name]!)).toEqual(c[name]);
  });
});

// clang's BPF target is the ABI the kernel side uses; a failed _Static_assert names the struct.
const clang = ['clang-19', 'clang'].find(has);
if (!clang) console.log('codec-layout: skipping the clang -target bpf check: clang is not installed');

describe.skipIf(!clang)('layout equals clang -target bpf', () => {
  test('static asserts of sizeof/alignof/offsetof compile', () => {
    const asserts: string[] = [];
    for (const [name, codec] of Object.entries(codecs)) {
      asserts.push(`_Static_assert(sizeof(struct ${name}) == ${codec.size}, "sizeof ${name}");`);
      asserts.push(`_Static_assert(_Alignof(struct ${name}) == ${codec.align}, "alignof ${name}");`);
      for (const f of fieldsOf(codec)) {
        asserts.push(`_Static_assert(offsetof(struct ${name}, ${f.name}) == ${f.offset}, "offsetof ${name}.${f.name}");`);
      }
    }
    // -ffreestanding: the BPF target has no libc headers; stddef/stdint/stdbool are the compiler's own.
    const src = join(dir, 'layout-bpf.c');
    writeFileSync(src, cStructs.replace('#include <stdio.h>\n', '') + asserts.join('\n') + '\n');
    const run = spawnSync(clang!, ['-target', 'bpf', '-ffreestanding', '-std=c11', '-fsyntax-only', src], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
