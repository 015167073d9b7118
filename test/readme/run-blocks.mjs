// Runs README blocks (already compiled to .mjs) one after another in this process, on the engine that
// BPFKIT_ENGINE names, and writes what each printed and how it ended as JSON to argv[2]. An argument
// FILE@DIR runs FILE with DIR as the working directory.
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import { pathToFileURL } from 'node:url';

const [out, ...files] = process.argv.slice(2);
const results = [];
const log = console.log;
const home = process.cwd();
for (const arg of files) {
  const at = arg.lastIndexOf('@');
  const file = at < 0 ? arg : arg.slice(0, at);
  process.chdir(at < 0 ? home : arg.slice(at + 1));
  const printed = [];
  console.log = (...args) => printed.push(format(...args));
  const started = Date.now();
  try {
    await import(pathToFileURL(file).href);
    results.push({ file, ok: true, printed, ms: Date.now() - started });
  } catch (e) {
    results.push({ file, ok: false, printed, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e), ms: Date.now() - started });
  } finally {
    console.log = log;
  }
}
writeFileSync(out, JSON.stringify(results));
