// What the emulator runs, read from the code that runs it: the map types it creates (maps/create.ts), the
// program types its test runs build a context for (programs/contexts.ts), the helpers and kfuncs it calls
// (programs/helpers.ts, programs/kfuncs.ts). README's table is this module's output (test/unit/support.test.ts
// keeps them equal), so what the README says cannot drift from what the emulator does.
import { KernelMapType, mapTypeName } from '../uapi/bpf.js';
import { KernelProgramType } from '../uapi/program-type.js';
import { funcIdName } from '../uapi/helpers.js';
import { isEmulatedMapType } from './maps/create.js';
import { testRunProgramTypes } from './programs/contexts.js';
import { emulatedHelpers } from './programs/helpers.js';
import { kfuncByName } from './programs/kfuncs.js';

export interface EmulatorSupport {
  mapTypes: { emulated: string[]; refused: string[] };
  testRunProgramTypes: { emulated: string[]; refused: string[] };
  helpers: string[];
  kfuncs: string[];
}

/** enum bpf_prog_type's name as KernelProgramType spells it. */
const programTypeName = (type: number): string => Object.entries(KernelProgramType).find(([, id]) => id === type)![0];

/** Every kernel map type and program type split by whether the emulator has it; its helpers and kfuncs. */
export function emulatorSupport(): EmulatorSupport {
  const mapIds = Object.values(KernelMapType) as number[];
  const progIds = (Object.values(KernelProgramType) as number[]).filter((t) => t !== KernelProgramType.Unspec);
  return {
    mapTypes: { emulated: mapIds.filter(isEmulatedMapType).map(mapTypeName), refused: mapIds.filter((t) => !isEmulatedMapType(t)).map(mapTypeName) },
    testRunProgramTypes: {
      emulated: progIds.filter((t) => testRunProgramTypes.includes(t)).map(programTypeName),
      refused: progIds.filter((t) => !testRunProgramTypes.includes(t)).map(programTypeName),
    },
    helpers: [...emulatedHelpers].sort((a, b) => a - b).map((id) => `${funcIdName(id)} (#${id})`),
    kfuncs: [...kfuncByName.keys()],
  };
}

/** The README's table (Markdown) of emulatorSupport(). */
export function emulatorSupportTable(): string {
  const s = emulatorSupport();
  const list = (items: readonly string[]): string => items.map((i) => `\`${i}\``).join(', ');
  return [
    '| | the emulator runs | it refuses (`ENOTSUPP`, naming it) |',
    '| --- | --- | --- |',
    `| map types | ${list(s.mapTypes.emulated)} | ${list(s.mapTypes.refused)} |`,
    `| BPF_PROG_TEST_RUN of program types | ${list(s.testRunProgramTypes.emulated)} | ${list(s.testRunProgramTypes.refused)} |`,
    `| helpers | ${list(s.helpers)} | every other |`,
    `| kfuncs | ${list(s.kfuncs)} | every other |`,
  ].join('\n');
}
