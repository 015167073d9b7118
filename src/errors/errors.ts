import type { Syscall } from '../uapi/bpf.js';
import { ENOSPC, errnoCode, errnoDescription, type ErrnoCode } from '../uapi/errno.js';
import { lastMeaningfulLine, verifierSourceLine } from './verifier-log.js';
import { verifierHint } from './hints.js';

/**
 * What an error is about, in the words every message uses: `map 'counts'` (`map id 7` when it has no
 * name), `program 'xdp_count'`, `object 'x.bpf.o'`; a map or program of an object adds `of object '...'`.
 */
export function subjectOf(of: { map?: string; mapId?: number; program?: string; object?: string }): string {
  const inObject = of.object === undefined ? '' : ` of object '${of.object}'`;
  if (of.map !== undefined && (of.map !== '' || of.mapId === undefined)) return `map '${of.map}'${inObject}`;
  if (of.mapId !== undefined) return `map id ${of.mapId}${inObject}`;
  if (of.program !== undefined) return `program '${of.program}'${inObject}`;
  if (of.object !== undefined) return `object '${of.object}'`;
  throw new TypeError('subjectOf: needs a map, mapId, program or object');
}

export interface BpfErrorInfo {
  /** What was being operated on: `map 'counts'`, `program 'xdp_count'`, a path. */
  subject?: string;
  /** Extra words after the errno description. */
  detail?: string;
  path?: string;
  /** Batch operations: how many elements were processed before the failure. */
  processed?: number;
  /** The rule behind the errno, for people (src/errors/hints.ts); appended to the message. */
  hint?: string;
}

/**
 * A bpf() failure (or the emulator's equivalent) in the shape of Node's SystemError:
 * `code` ('EEXIST'), `errno` (negative Linux number), `syscall` ('BPF_MAP_UPDATE_ELEM').
 */
export class BpfError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: Syscall;
  readonly subject?: string;
  readonly path?: string;
  readonly processed?: number;
  readonly hint?: string;

  constructor(syscall: Syscall, errno: number, info: BpfErrorInfo = {}) {
    const n = -Math.abs(errno);
    const code = errnoCode(n);
    const where = info.subject ? ` on ${info.subject}` : '';
    const detail = info.detail ? `: ${info.detail}` : '';
    const hint = info.hint ? ` (hint: ${info.hint})` : '';
    super(`${syscall}${where} failed: ${code} (${errnoDescription(n)})${detail}${hint}`);
    this.name = 'BpfError';
    this.code = code;
    this.errno = n;
    this.syscall = syscall;
    if (info.subject !== undefined) this.subject = info.subject;
    if (info.path !== undefined) this.path = info.path;
    if (info.processed !== undefined) this.processed = info.processed;
    if (info.hint !== undefined) this.hint = info.hint;
  }
}

/**
 * A program the verifier refused; `log` holds the verifier's log for that program. The message says so in
 * words a person can act on: the reason and the C line it names (not the errno's description — EACCES here
 * is the verifier's verdict, not a missing privilege; `code` and `errno` keep it).
 */
export class BpfVerifierError extends BpfError {
  readonly log: string;
  readonly program: string;

  constructor(program: string, errno: number, log: string, info: BpfErrorInfo = {}) {
    const detail = info.detail ?? lastMeaningfulLine(log);
    const hint = info.hint ?? verifierHint(lastMeaningfulLine(log));
    super('BPF_PROG_LOAD', errno, { subject: subjectOf({ program }), detail, ...info, ...(hint === undefined ? {} : { hint }) });
    this.name = 'BpfVerifierError';
    const at = verifierSourceLine(log);
    const where = !at ? '' : at.file ? ` — ${at.file.slice(at.file.lastIndexOf('/') + 1)}:${at.line}: ${at.text}` : ` — ${at.text}`;
    this.message = `BPF_PROG_LOAD: the verifier refused ${this.subject}: ${detail}${where}${this.hint ? ` (hint: ${this.hint})` : ''}`;
    this.log = log;
    this.program = program;
  }
}

/** What a test run reported although its output did not fit (see BpfRunOutputError). */
export interface RunReport {
  retval: number;
  duration: number;
  /** The packet bytes that fit in dataOutSize (when data was given). */
  data?: Uint8Array;
  /** The context bytes that fit (when ctx was given). */
  ctx?: Uint8Array;
}

/**
 * BPF_PROG_TEST_RUN's ENOSPC: the program ran, and left more than the buffer for it holds. The kernel still
 * reports the return value, the duration and the real sizes (net/bpf/test_run.c bpf_test_finish), and copies
 * what fits: they are here.
 */
export class BpfRunOutputError extends BpfError {
  readonly result: RunReport;
  /** The size of the packet the program left (data_size_out), of which result.data is the start. */
  readonly dataSize: number;
  /** The size of the context out (ctx_size_out). */
  readonly ctxSize: number;

  constructor(program: string, result: RunReport, dataSize: number, ctxSize: number, info: BpfErrorInfo = {}) {
    const short = result.data && dataSize > result.data.length ? `the packet out is ${dataSize} bytes, dataOutSize gave ${result.data.length}` : `the context out is ${ctxSize} bytes, more than ctx holds`;
    super('BPF_PROG_TEST_RUN', ENOSPC, { subject: subjectOf({ program }), detail: `${short}; retval ${result.retval} and what fit are on the error's result`, ...info });
    this.name = 'BpfRunOutputError';
    this.result = result;
    this.dataSize = dataSize;
    this.ctxSize = ctxSize;
  }
}

export function isBpfError(e: unknown, code?: ErrnoCode | string): e is BpfError {
  return e instanceof BpfError && (code === undefined || e.code === code);
}

/** An argument that must be a u32 (a count, flags, an id): TypeError when not an integer, RangeError out of range. */
export function checkU32(operation: string, what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`${operation}: ${what} must be an integer, got ${describeValue(n)}`);
  if (n < 0 || n > 0xffffffff) throw new RangeError(`${operation}: ${what} must fit in a u32, got ${n}`);
  return n;
}

/**
 * A Uint8Array argument. One whose buffer was transferred or detached is refused by name (V8 would throw
 * "Cannot perform ... on a detached ArrayBuffer" from deep inside): only a zero-length view can be, so the
 * probe costs nothing for the others (Node 20 has no ArrayBuffer.prototype.detached).
 */
export function checkBytes(operation: string, what: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${operation}: ${what} must be a Uint8Array, got ${describeValue(v)}`);
  if (v.byteLength === 0) {
    try {
      new Uint8Array(v.buffer, 0, 0);
    } catch {
      throw new TypeError(`${operation}: ${what} is a Uint8Array over a detached (transferred) ArrayBuffer`);
    }
  }
  return v;
}

/** Short description of a bad argument for messages: never dumps a whole object. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'string':
      return value.length <= 20 ? `string ${JSON.stringify(value)}` : 'a string';
    case 'object': {
      let name: unknown;
      try {
        name = (value as object).constructor?.name;
      } catch {
        name = undefined; // a hostile getter or proxy: describe it without asking again
      }
      return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
    }
    default:
      return typeof value;
  }
}

/**
 * Codec errors carry where in the value the fault lies (`.a.b[2]`) and the message without that path,
 * so callers that know the operation can say "set on map 'x': value.count: u32 out of range: -1".
 */
export const codecFaults = new WeakMap<Error, { path: string; message: string }>();

/**
 * An error thrown while encoding `what` (key, value, keys[3], ...) for `operation`, restated with that
 * context. TypeError and RangeError keep their class; anything else (a user codec's own error) becomes a
 * TypeError whose cause is the original.
 */
export function inputError(operation: string, what: string, e: unknown): TypeError | RangeError {
  const fault = e instanceof Error ? codecFaults.get(e) : undefined;
  const text = fault
    ? `${operation}: ${what}${fault.path}: ${fault.message}`
    : `${operation}: ${what}: ${e instanceof Error ? e.message : String(e)}`;
  return e instanceof RangeError ? new RangeError(text, { cause: e }) : new TypeError(text, { cause: e });
}
