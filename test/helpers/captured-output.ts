// The command's output in CLI tests: process.stdout and process.stderr writes captured per test (hooks
// registered where this is called), read back as text.
import { afterEach, beforeEach, vi } from 'vitest';

export interface CapturedOutput {
  /** What was written to stdout since the test began. */
  out(): string;
  /** And to stderr. */
  err(): string;
  /** Forgets what both have captured so far (before the next command). */
  clear(): void;
}

export function captureOutput(): CapturedOutput {
  let out: ReturnType<typeof vi.spyOn> | undefined;
  let err: ReturnType<typeof vi.spyOn> | undefined;
  beforeEach(() => {
    out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    out?.mockRestore();
    err?.mockRestore();
  });
  const text = (spy: ReturnType<typeof vi.spyOn> | undefined): string => (spy?.mock.calls ?? []).map((c: unknown[]) => String(c[0])).join('');
  return {
    out: () => text(out),
    err: () => text(err),
    clear: () => {
      out?.mockClear();
      err?.mockClear();
    },
  };
}
