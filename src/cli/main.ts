// The `bpfkit` command: one verb per job (vm, ...). Each verb lives in its own module and returns an exit status.
import { coverageMain } from './coverage.js';
import { disasmMain } from './disasm.js';
import { doctorMain } from './doctor.js';
import { genMain } from './gen-types.js';
import { mapMain } from './map-dump.js';
import { listMain } from './list.js';
import { verifyMain } from './verify.js';
import { includeDirMain } from './include-dir.js';
import { vmMain } from '../vm/cli.js';

const usage = 'usage: bpfkit <verb> [args]\n  doctor                      can the kernel engine work here? (exit 0 yes, 1 no)\n  map dump PIN_PATH | --id N  every element of a kernel map, as bytes\n  map list | prog list        the kernel\'s maps / programs: id, type, name (as bpftool\'s show)\n  gen types OBJECT.bpf.o      TypeScript codecs for the object\'s maps and globals, from its BTF\n  gen vmlinux [--kernel-btf PATH]   vmlinux.h: the kernel\'s types as C (bpftool), this kernel\'s by default\n  include-dir                 the folder of bpfkit.h, for clang -I\n  verify OBJECT.bpf.o [--program NAME] [--kernel-version V] [--log-level L] [--stats] [--compare OLD.csv]   each program\'s verdict on the emulator and the kernel (exit 1 if refused)\n  disasm OBJECT.bpf.o [--program NAME] [--kernel-version V]   each program\'s instructions as the verifier log prints them, with their C lines\n  coverage DIR|FILE.info... [--output MERGED.info] [--html OUT_DIR]   merge lcov files (BPFKIT_COVERAGE, writeLcov, vitest\'s) and summarise; HTML through genhtml\n  vm [--kernel K] [--cpus N] [--memory SIZE] [--timeout S] -- COMMAND...   run COMMAND as root under another kernel\n';

export async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'vm':
      return vmMain(rest);
    case 'doctor':
      return doctorMain(rest);
    case 'map':
      return mapMain(rest);
    case 'prog':
      if (rest[0] === 'list') return listMain('prog', rest.slice(1));
      process.stderr.write(`bpfkit prog: unknown subcommand ${rest[0] === undefined ? '(none)' : `'${rest[0]}'`}\n${usage}`);
      return 2;
    case 'gen':
      return genMain(rest);
    case 'verify':
      return verifyMain(rest);
    case 'include-dir':
      return includeDirMain(rest);
    case 'disasm':
      return disasmMain(rest);
    case 'coverage':
      return coverageMain(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(usage);
      return verb === undefined ? 2 : 0;
    default:
      process.stderr.write(`bpfkit: unknown verb '${verb}'\n${usage}`);
      return 2;
  }
}
