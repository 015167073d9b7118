// The verdict tests compare between engines: an object loaded with one program only.
import { BpfVerifierError, openObject, type Engine } from '../../src/index.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';

/** 'loaded', or the verifier's errno code and its reason (the log's last line); any other error is thrown. */
export function programVerdict(path: string, engine: Engine, program: string): string {
  try {
    openObject(path, { engine, programs: [program] }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfVerifierError)) throw e;
    return `${e.code}: ${lastMeaningfulLine(e.log)}`;
  }
}
