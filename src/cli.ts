// The `bpfkit` command: one verb per job (vm, ...). Each verb lives in its own module and returns an exit status.
import { vmMain } from './vm/cli.js';

const usage = 'usage: bpfkit <verb> [args]\n  vm [--kernel K] [--cpus N] [--memory SIZE] [--timeout S] -- COMMAND...   run COMMAND as root under another kernel\n';

export async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'vm':
      return vmMain(rest);
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
