// How the walk stops: a refusal (the kernel's message and errno, at an instruction), or a path that leaves
// what this model knows (the program is then accepted on that path, never refused for it).
export class VerifierRefusal extends Error {
  constructor(
    /** The reason, as the kernel's verbose() writes it (without the trailing newline). */
    readonly reason: string,
    /** Negative errno, uapi/errno.ts. */
    readonly errno: number,
    /** Lines the kernel writes before the reason (e.g. a state dump), without trailing newlines. */
    readonly before: readonly string[] = [],
    /** Lines the kernel writes after it (e.g. "cur state:" dumps). */
    readonly after: readonly string[] = [],
  ) {
    super(reason);
  }
}

/** The current path uses something outside the model (a kfunc or BTF type it cannot know). */
export class OutOfModel extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

export const refuse = (errno: number, reason: string): never => {
  throw new VerifierRefusal(reason, errno);
};
