// The emulator engine: kernel-exact BPF maps in pure TypeScript (no native code, no Linux-only API).
export { Emulator, EmulatorMapHandle, getEmulator, type EmulatorOptions, type ProgramSide } from './emulator.js';
export { jhash, jhash2, htabHash } from './jhash.js';
