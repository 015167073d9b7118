// `bpfkit vm [options] -- COMMAND...`: runs COMMAND as root in a QEMU guest under another kernel.
/** Runs the `vm` verb with its arguments (after `vm`); resolves to the process exit status. */
export async function vmMain(args: readonly string[]): Promise<number> {
  void args;
  process.stderr.write('bpfkit vm: not implemented yet\n');
  return 2;
}
