// README's table of what the emulator runs is the code's (src/emulator/support.ts): it cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { emulatorSupport, emulatorSupportTable } from '../../src/emulator/support.js';
import { Emulator } from '../../src/index.js';
import { KernelMapType } from '../../src/uapi/bpf.js';
import { ENOTSUPP } from '../../src/uapi/errno.js';

test('README.md\'s emulator table is what the code says (regenerate: npm run build && node scripts/readme-support-table.mjs)', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const block = /<!-- emulator-support:start -->\n([\s\S]*?)\n<!-- emulator-support:end -->/.exec(readme);
  expect(block, 'README.md has the emulator-support block').not.toBeNull();
  expect(block![1]).toBe(emulatorSupportTable());
});

test('the table\'s map types are what the emulator creates and refuses', () => {
  const { mapTypes } = emulatorSupport();
  expect(mapTypes.emulated).toContain('lpm_trie');
  expect(mapTypes.emulated).toContain('ringbuf');
  expect(mapTypes.refused).toContain('user_ringbuf');
  const emulator = new Emulator();
  // A refused type is ENOTSUPP whatever its attributes; an emulated one gets past that check.
  for (const [name, id] of Object.entries(KernelMapType)) {
    const rc = emulator.createMap({ type: id, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, name: '', numaNode: 0 });
    const refused = rc === ENOTSUPP;
    if (typeof rc !== 'number') rc.close();
    expect(refused, name).toBe(mapTypes.refused.includes(name.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase()));
  }
});
