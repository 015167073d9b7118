// Corners of the API where an error used to be V8's or a parser's own (issue 19): every one is now a
// bpfkit error naming the operation and the argument, on both engines.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BpfError, loadProgram, openObject, ProgramType } from '../../src/index.js';
import { globalVariables, mapCodecsFromBtf } from '../../src/object/globals.js';
import { readElf } from '../../src/elf/reader.js';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture } from '../kernel/bpf-fixtures.js';

/** A Uint8Array whose buffer was transferred away. */
function detached(): Uint8Array {
  const bytes = new Uint8Array(64);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  return bytes;
}

describeEngines('detached buffers', (engine) => {
  const insns = encodeInsns([asm.mov64Imm(0, 2), asm.exit()]);

  test('run() and runAsync() name the detached option', async () => {
    using p = loadProgram({ type: ProgramType.SchedCls, insns, engine: engine() });
    expect(() => p.run({ data: detached() })).toThrow(/run of program '.*': data is a Uint8Array over a detached \(transferred\) ArrayBuffer/);
    expect(() => p.run({ data: new Uint8Array(64), ctx: detached() })).toThrow(/: ctx is a Uint8Array over a detached/);
    await expect(p.runAsync({ data: detached() })).rejects.toThrow(/: data is a Uint8Array over a detached/);
    // A zero-length buffer that is not detached is an ordinary (too short) packet: the kernel's answer.
    expect(() => p.run({ data: new Uint8Array(0) })).toThrow(BpfError);
  });

  test('loadProgram() names detached instructions', () => {
    expect(() => loadProgram({ type: ProgramType.SchedCls, insns: detached(), engine: engine() })).toThrow(/^loadProgram: insns is a Uint8Array over a detached/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-corners-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fixtureSkip: string | undefined;
let fixturePath = '';
try {
  fixturePath = fixture('loader_features');
} catch (e) {
  fixtureSkip = `cannot build build/bpf/loader_features.bpf.o (run make setup): ${(e as Error).message.split('\n')[0]}`;
  console.log(`skipped: the unreadable-BTF test: ${fixtureSkip}`);
}

test.skipIf(fixtureSkip !== undefined)('an object whose BTF bpfkit cannot read: obj.globals and map codecs are BpfErrors (ENOEXEC), not parser errors', () => {
  const bytes = new Uint8Array(readFileSync(fixturePath));
  const btf = readElf(bytes, 'loader_features.bpf.o').sectionByName('.BTF')!;
  // Break the BTF header's string section offset: the ELF stays valid, the BTF does not.
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(btf.offset + 16, 0xffff_fff0, true);
  const path = join(dir, 'broken_btf.bpf.o');
  writeFileSync(path, bytes);
  const expectEnoexec = (f: () => unknown): void => {
    try {
      f();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BpfError);
      expect((e as BpfError).code).toBe('ENOEXEC');
      expect((e as BpfError).message).toMatch(/bpfkit cannot read its BTF/);
    }
  };
  expectEnoexec(() => globalVariables(path, ['loader_f.bss']));
  expectEnoexec(() => mapCodecsFromBtf(path, 'counts'));
  // The emulator's own open refuses the same file, with the same class of error.
  expect(() => openObject(path, { engine: 'emulator' })).toThrowError(expect.objectContaining({ code: 'ENOEXEC' }));
});
