// The emulator engine: kernel-exact BPF maps in pure TypeScript (no native code, no Linux-only API).
export { Emulator, EmulatorMapHandle, getEmulator, type EmulatorOptions } from './emulator.js';
export type { ProgramSide } from './program-map.js';
export { jhash, jhash2, htabHash } from './jhash.js';
