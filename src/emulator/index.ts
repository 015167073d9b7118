// The emulator engine: kernel-exact BPF maps in pure TypeScript (no native code, no Linux-only API).
export { Emulator, getEmulator, type EmulatorOptions, type EmulatorShare } from './emulator.js';
export type { EmulatorCoverage } from './coverage/recorder.js';
export type { ProgramCoverage } from './coverage/program-coverage.js';
export { EmulatorMapHandle } from './map-handle.js';
export type { ProgramSide } from './maps/program-map.js';
export { jhash, jhash2, htabHash } from './maps/jhash.js';
