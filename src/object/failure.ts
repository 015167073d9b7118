// A failure from the object seam (src/seam/engine.ts ObjectFailure) as the error users see, for objects
// (src/object/object.ts) and raw programs (src/object/program.ts) alike.
import type { Engine, ObjectFailure } from '../seam/engine.js';
import { withEngineReason } from '../engine-select.js';
import { ENOTSUPP, EOPNOTSUPP } from '../uapi/errno.js';
import { BpfError, BpfVerifierError, subjectOf } from '../errors/errors.js';
import { objectHint } from '../errors/hints.js';

/**
 * BpfVerifierError when there is a verifier log, else BpfError about the map, program or object that
 * failed. What the emulator does not support (ENOTSUPP/EOPNOTSUPP) also says why the emulator ran it.
 */
export function failureError(f: ObjectFailure, path?: string, engine?: Engine): BpfError {
  if (f.program !== undefined && f.log !== undefined) return new BpfVerifierError(f.program, f.errno, f.log, path === undefined ? {} : { path });
  const subject = f.map !== undefined
    ? subjectOf({ map: f.map, object: path })
    : f.program !== undefined
      ? subjectOf({ program: f.program, object: path })
      : path === undefined ? undefined : subjectOf({ object: path });
  const unsupportedHere = engine !== undefined && (f.errno === ENOTSUPP || f.errno === EOPNOTSUPP);
  const hint = objectHint(f.syscall, f.errno, f.detail);
  return new BpfError(f.syscall, f.errno, { subject, path, detail: unsupportedHere ? withEngineReason(f.detail, engine) : f.detail, ...(hint ? { hint } : {}) });
}
