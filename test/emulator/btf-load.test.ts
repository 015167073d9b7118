// The emulator's BPF_BTF_LOAD model (src/emulator/btf-load.ts) on its own, for every supported kernel
// version: each hand-built case (test/diff/btf-load-cases.ts) answers as that version's kernel does. The
// cases' answers were measured against 6.1, 6.12 and 7.2 in bpfkit vm and 6.18 on the host
// (test/diff/btf-load.test.ts compares them with the running kernel); here no kernel is needed.
import { describe, expect, test } from 'vitest';
import { btfLoadRefusal } from '../../src/emulator/btf-load.js';
import { btfCases } from '../diff/btf-load-cases.js';
import { btf } from '../helpers/btf-blobs.js';

const VERSIONS = ['6.1', '6.12', '6.18', '7.2'];
const show = (v: { errno: number; reason?: string } | undefined): string => (v ? `${v.errno} ${v.reason ?? '(any reason)'}` : 'accepted');

describe.each(VERSIONS)('BPF_BTF_LOAD on %s', (version) => {
  test.each(btfCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const expected = c.expect(version);
    const model = btfLoadRefusal(c.blob, version);
    expect(show(model && { errno: model.errno, reason: expected?.reason === undefined ? undefined : model.reason })).toBe(show(expected));
  });
});

describe('btfLoadRefusal', () => {
  test('a version that is not MAJOR.MINOR is a TypeError', () => {
    expect(() => btfLoadRefusal(new Uint8Array(8), '6')).toThrow(TypeError);
  });

  test('the kernel structs it is told about decide whether a referenced kptr needs a destructor', () => {
    const data = btf((w) => {
      const lock = w.strct('bpf_spin_lock', 4, [['val', w.int('unsigned int', 4), 0]]);
      w.strct('holder', 16, [['lock', lock, 0], ['p', w.ptr(w.typeTag('kptr', w.strct('my_obj', 8, []))), 64]]);
    });
    expect(btfLoadRefusal(data, '6.18')).toBeUndefined(); // a program's own type (bpf_obj_new)
    expect(btfLoadRefusal(data, '6.18', (name) => (name === 'my_obj' ? false : undefined))?.errno).toBe(2); // ENOENT
    expect(btfLoadRefusal(data, '6.18', (name) => (name === 'my_obj' ? true : undefined))).toBeUndefined();
    expect(btfLoadRefusal(data, '6.1', () => false)).toBeUndefined(); // no struct metas before 6.2
  });
});
