// The one way a test that cannot run here is skipped: with `skipped: <what>: <reason>` printed, never
// passed silently. engines.ts, kernel.ts and require-kernel.ts build their wrappers on these.
import { describe, test } from 'vitest';

/** describe(name, fn), skipped with the reason printed when `reason` is set. `what` names it in the line. */
export function describeUnless(reason: string | undefined, name: string, fn: () => void, what = name): void {
  if (reason !== undefined) console.log(`skipped: ${what}: ${reason}`);
  describe.skipIf(reason !== undefined)(name, fn);
}

/** test(name, fn), skipped with the reason printed when `reason` is set. */
export function testUnless(reason: string | undefined, name: string, fn: () => void | Promise<void>): void {
  if (reason !== undefined) console.log(`skipped: ${name}: ${reason}`);
  test.skipIf(reason !== undefined)(name, fn);
}
