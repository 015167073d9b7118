// Vitest global setup: worker threads (the emulator's CPUs, test workers) load the compiled package from
// dist/, while tests import src/: when a source is newer than dist/, compile it first so both run the same
// code. Only tsc runs here (never make or npm: several vitest processes may start at once).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const root = packageRoot();
  let built = 0;
  try {
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (newestSource(join(root, 'src')) <= built) return;
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  } catch {
    // Type errors: tsc still wrote dist/ (noEmitOnError is off), and the typecheck reports them.
    console.error('build-dist: tsc reported errors; dist/ was written anyway');
  }
}
