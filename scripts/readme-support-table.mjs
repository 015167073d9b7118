// Writes README.md's table of what the emulator runs (between its emulator-support markers) from the code,
// src/emulator/support.ts, as built into dist/ (`npm run build` first). test/unit/support.test.ts fails when
// the README's table and the code's differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorSupportTable } from '../dist/emulator/support.js';

const root = join(import.meta.dirname, '..');
const path = join(root, 'README.md');
const START = '<!-- emulator-support:start -->';
const END = '<!-- emulator-support:end -->';
const text = readFileSync(path, 'utf8');
const at = text.indexOf(START);
const end = text.indexOf(END);
if (at < 0 || end < at) throw new Error(`README.md has no ${START} ... ${END} block`);
writeFileSync(path, `${text.slice(0, at + START.length)}\n${emulatorSupportTable()}\n${text.slice(end)}`);
