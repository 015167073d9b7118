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
  // Chunks are strings or bytes (a command may pass a tool's output through): joined as bytes, decoded once.
  const text = (spy: ReturnType<typeof vi.spyOn> | undefined): string =>
    Buffer.concat((spy?.mock.calls ?? []).map((c: unknown[]) => (typeof c[0] === 'string' ? Buffer.from(c[0]) : Buffer.from(c[0] as Uint8Array)))).toString();
  return {
    out: () => text(out),
    err: () => text(err),
    clear: () => {
      out?.mockClear();
      err?.mockClear();
    },
  };
}
