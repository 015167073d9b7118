// The first half of BPF_BTF_LOAD's model (btf-load.ts has the rest): kernel/bpf/btf.c's verifier
// environment over the raw bytes (records, strings, the log) and the checks that need no other type:
// btf_parse_hdr, btf_parse_str_sec, btf_parse_layout_sec (7.x) and btf_check_all_metas with each kind's
// check_meta.
//
// Types are handled as the kernel handles pointers: a type is its record's byte offset in the data, VOID
// (-1) is the kernel's btf_void and NULL (-2) a missing type.
//
// The log: bpf_verifier_vlog formats each call into a 1024-byte buffer (BPF_VERIFIER_TMP_LOG_SIZE), so one
// call writes at most 1023 bytes; names are written byte for byte. Only the last line is kept. The model
// assumes a log buffer the log fits in, as libbpf's (16 MiB) does: a longer log makes the kernel answer
// ENOSPC (finalize_log), which is not modelled.
import { BTF_HEADER_LEN, BTF_MAGIC, BtfKind as K } from '../btf/decode.js';
import { errnoByCode } from '../uapi/errno.js';
import { btfDatasecPrintableNames, btfLayoutSection, btfTagKindFlag, btfWideInfo } from './kernel-version.js';

const { EINVAL, E2BIG, ENOTSUPP } = errnoByCode;

/** include/uapi/linux/btf.h */
const BTF_MAX_TYPE = 0xfffff;
const BTF_MAX_NAME_OFFSET = 0xffffff;
const BTF_INFO_MASK = 0x9f00ffff;
const BTF_INT_MASK = 0x0fffffff;
const BTF_VERSION = 1;
/** include/linux/kallsyms.h: the longest name btf_name_valid_identifier/section accept. */
const KSYM_NAME_LEN = 512;
/** One vscnprintf into the 1024-byte kbuf. */
const LOG_PIECE = 1023;

export const VOID = -1;
export const NULL = -2;

const KIND_STR = ['UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
  'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'];

// lib/ctype.c _ctype, the classes the names use: the kernel's table is Latin-1, so bytes 0xc0..0xff are letters.
const U = 1, L = 2, D = 4, P = 0x10, SP = 0x80;
const CTYPE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  CTYPE[c] = c >= 0x41 && c <= 0x5a ? U : c >= 0x61 && c <= 0x7a ? L : c >= 0x30 && c <= 0x39 ? D
    : c === 0x20 || c === 0xa0 ? SP : (c > 0x20 && c < 0x7f) || (c > 0xa0 && c < 0xc0) || c === 0xd7 || c === 0xf7 ? P
      : c >= 0xc0 && c <= 0xde ? U : c >= 0xdf ? L : 0;
}
const isalpha = (c: number): boolean => (CTYPE[c]! & (U | L)) !== 0;
const isalnum = (c: number): boolean => (CTYPE[c]! & (U | L | D)) !== 0;
const isprint = (c: number): boolean => (CTYPE[c]! & (P | U | L | D | SP)) !== 0;

const BINARY_CHUNK = 8192;
/** Bytes as a string of char codes 0..255 (what the kernel's %s copies), decoded only for the reason. */
function binary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += BINARY_CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + BINARY_CHUNK));
  return s;
}
const utf8 = new TextDecoder();
/** A line of the log as a reader of the log sees it: UTF-8 decoded, trimmed. */
function logLineText(line: string): string {
  let ascii = true;
  for (let i = 0; i < line.length && ascii; i++) ascii = line.charCodeAt(i) < 0x80;
  if (ascii) return line.trim(); // decoding would change nothing
  const bytes = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) bytes[i] = line.charCodeAt(i);
  return utf8.decode(bytes).trim();
}

/** The kernel's log, of which only the last non-blank line is kept. */
class LastLine {
  #line = '';
  #last = '';
  write(s: string): void {
    if (s.length > LOG_PIECE) s = s.slice(0, LOG_PIECE);
    let nl = s.indexOf('\n');
    if (nl < 0) {
      this.#line += s;
      return;
    }
    let from = 0;
    for (; nl >= 0; from = nl + 1, nl = s.indexOf('\n', from)) {
      this.#complete(this.#line + s.slice(from, nl));
      this.#line = '';
    }
    this.#line = s.slice(from);
  }
  #complete(line: string): void {
    if (logLineText(line) !== '') this.#last = line;
  }
  /** The last non-blank line, decoded and trimmed. */
  get text(): string {
    const cur = logLineText(this.#line);
    return cur !== '' ? cur : logLineText(this.#last);
  }
}

/**
 * lib/sort.c sort_r, the kernel's heapsort (bottom-up sift, two largest extracted per round), element for
 * element: btf_check_sec_info's comparator is no total order, so only the same algorithm sorts the same way.
 */
function sortR<T>(a: T[], cmp: (x: T, y: T) => number): void {
  const swap = (i: number, j: number): void => { [a[i], a[j]] = [a[j]!, a[i]!]; };
  const parent = (i: number): number => (i - 1) >> 1;
  let n = a.length, at = n >> 1, shift = 0;
  if (!at) return;
  for (;;) {
    if (at) at -= 1 << shift;
    else if (n > 3) {
      swap(0, --n);
      shift = cmp(a[1]!, a[2]!) <= 0 ? 1 : 0;
      at = 1 << shift;
      swap(at, --n);
    } else break;
    let b = at, c = 0, d = 0;
    for (; (c = 2 * b + 1), (d = c + 1) < n;) b = cmp(a[c]!, a[d]!) > 0 ? c : d;
    if (d === n) b = c;
    while (b !== at && cmp(a[at]!, a[b]!) >= 0) b = parent(b);
    for (c = b; b !== at;) swap((b = parent(b)), c);
  }
  swap(0, --n);
  if (n === 2 && cmp(a[0]!, a[1]!) > 0) swap(0, 1);
}

export interface Member { nameOff: number; type: number; offset: number }
export interface Vertex { t: number; id: number; next: number }
/** env->resolve_mode */
export const enum Mode { Tbd, Ptr, StructOrArray }

/** The verifier's environment (struct btf_verifier_env with its struct btf). */
export class BtfEnv {
  readonly view: DataView;
  readonly log = new LastLine();
  // The header as btf_parse_hdr copied it: min(hdr_len, sizeof(struct btf_header)) bytes over zeros.
  hdrLen = 0; typeOff = 0; typeLen = 0; strOff = 0; strLen = 0; layoutOff = 0; layoutLen = 0;
  /** kernel-version.ts btfWideInfo, btfLayoutSection */
  readonly wide: boolean;
  readonly layout: boolean;
  strStart = 0;
  /** Record offset by type id; id 0 is void. */
  readonly types: number[] = [VOID];
  logTypeId = 0;
  inResolve = false;
  // env_resolve_init's arrays and the resolve stack.
  visit = new Uint8Array(0);
  resolvedIds = new Uint32Array(0);
  resolvedSizes = new Uint32Array(0);
  readonly stack: Vertex[] = [];
  mode = Mode.Tbd;

  constructor(readonly data: Uint8Array, readonly version: string) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.wide = btfWideInfo(version);
    this.layout = btfLayoutSection(version);
  }

  // --- records (include/linux/btf.h accessors) ---
  u32(off: number): number { return this.view.getUint32(off, true); }
  info(t: number): number { return t < 0 ? 0 : this.u32(t + 4); }
  kind(t: number): number { return (this.info(t) >>> 24) & (this.wide ? 0x7f : 0x1f); }
  vlen(t: number): number { return this.info(t) & (this.wide ? 0xffffff : 0xffff); }
  kflag(t: number): boolean { return this.info(t) >>> 31 === 1; }
  nameOff(t: number): number { return t < 0 ? 0 : this.u32(t); }
  /** The size/type word. */
  st(t: number): number { return t < 0 ? 0 : this.u32(t + 8); }
  /** The i-th u32 after the 12-byte struct btf_type. */
  extra(t: number, i: number): number { return this.u32(t + 12 + 4 * i); }
  member(t: number, i: number): Member {
    return { nameOff: this.extra(t, 3 * i), type: this.extra(t, 3 * i + 1), offset: this.extra(t, 3 * i + 2) };
  }
  /** __btf_member_bit_offset */
  memberBitOffset(t: number, m: Member): number { return this.kflag(t) ? m.offset & 0xffffff : m.offset; }
  byId(id: number): number { return id === 0 ? VOID : id < this.types.length ? this.types[id]! : NULL; }

  isStruct(t: number): boolean { const k = this.kind(t); return t >= 0 && (k === K.Struct || k === K.Union); }
  isModifier(t: number): boolean {
    const k = this.kind(t);
    return t >= 0 && (k === K.Typedef || k === K.Volatile || k === K.Const || k === K.Restrict || k === K.TypeTag);
  }
  is(t: number, kind: number): boolean { return t >= 0 && this.kind(t) === kind; }
  nosize(t: number): boolean {
    return t === VOID || this.is(t, K.Fwd) || this.is(t, K.Func) || this.is(t, K.FuncProto) || this.is(t, K.DeclTag);
  }
  nosizeOrNull(t: number): boolean { return t === NULL || this.nosize(t); }
  sourceOnly(t: number): boolean { return this.is(t, K.Var) || this.is(t, K.DeclTag) || this.is(t, K.Datasec); }
  needsResolve(t: number): boolean {
    return this.isModifier(t) || this.is(t, K.Ptr) || this.isStruct(t) || this.is(t, K.Array) || this.is(t, K.Var)
      || this.is(t, K.Func) || this.is(t, K.DeclTag) || this.is(t, K.Datasec);
  }
  hasSize(t: number): boolean {
    const k = this.kind(t);
    return t >= 0 && (k === K.Int || k === K.Struct || k === K.Union || k === K.Enum || k === K.Datasec || k === K.Float || k === K.Enum64);
  }
  /** btf_type_int_is_regular: no bit offset, whole bytes of 1, 2, 4, 8 or 16. */
  intIsRegular(t: number): boolean {
    const d = this.extra(t, 0), bits = d & 0xff, bytes = (bits + 7) >>> 3;
    return (bits & 7) === 0 && ((d >>> 16) & 0xff) === 0 && [1, 2, 4, 8, 16].includes(bytes);
  }

  // --- strings ---
  nameOffsetValid(off: number): boolean { return off <= BTF_MAX_NAME_OFFSET && off < this.strLen; }
  /** The NUL-terminated string at `off` (which must be valid; the section ends with a NUL). */
  str(off: number): string {
    const start = this.strStart + off;
    return binary(this.data.subarray(start, this.data.indexOf(0, start)));
  }
  /** __btf_name_by_offset */
  logName(off: number): string { return off === 0 ? '(anon)' : off < this.strLen ? this.str(off) : '(invalid-name-offset)'; }
  /** btf_name_valid_identifier: [A-Za-z_.][A-Za-z0-9_.]* (Latin-1 letters too), at most KSYM_NAME_LEN bytes. */
  validIdentifier(off: number): boolean {
    const s = this.strStart + off, limit = s + KSYM_NAME_LEN, d = this.data;
    const ok = (c: number, first: boolean): boolean => (first ? isalpha(c) : isalnum(c)) || c === 0x5f || c === 0x2e;
    if (!ok(d[s]!, true)) return false;
    let p = s + 1;
    for (; d[p] && p < limit; p++) if (!ok(d[p]!, false)) return false;
    return !d[p];
  }
  /** btf_name_valid_section: non-empty, printable, at most KSYM_NAME_LEN bytes (btfDatasecPrintableNames). */
  validSection(off: number): boolean {
    if (!btfDatasecPrintableNames(this.version)) return this.validIdentifier(off);
    const s = this.strStart + off, limit = s + KSYM_NAME_LEN, d = this.data;
    if (!d[s]) return false;
    let p = s;
    for (; d[p] && p < limit; p++) if (!isprint(d[p]!)) return false;
    return !d[p];
  }

  // --- the log (btf_verifier_log, __btf_verifier_log_type, btf_verifier_log_member, btf_verifier_log_vsi) ---
  say(s: string): void { this.log.write(s); }
  /** btf_verifier_log_type (details) / btf_verifier_log_basic; `msg` undefined is the fmt = NULL dump. */
  logType(t: number, msg?: string, details = true): void {
    this.say(`[${this.logTypeId}] ${KIND_STR[this.kind(t)]} ${this.logName(this.nameOff(t))}${details ? ' ' : ''}`);
    if (details) this.logDetails(t);
    if (msg) { this.say(' '); this.say(msg); }
    this.say('\n');
  }
  logBasic(t: number, msg: string): void { this.logType(t, msg, false); }
  logMember(st: number, m: Member, msg?: string): void {
    if (this.inResolve) this.logType(st);
    const name = this.logName(m.nameOff);
    this.say(this.kflag(st) ? `\t${name} type_id=${m.type} bitfield_size=${m.offset >>> 24} bits_offset=${m.offset & 0xffffff}`
      : `\t${name} type_id=${m.type} bits_offset=${m.offset}`);
    if (msg) { this.say(' '); this.say(msg); }
    this.say('\n');
  }
  logVsi(ds: number, i: number, msg?: string): void {
    if (this.inResolve) this.logType(ds);
    this.say(`\t type_id=${this.extra(ds, 3 * i)} offset=${this.extra(ds, 3 * i + 1)} size=${this.extra(ds, 3 * i + 2)}`);
    if (msg) { this.say(' '); this.say(msg); }
    this.say('\n');
  }
  /** Each kind's log_details. */
  logDetails(t: number): void {
    const k = this.kind(t);
    switch (k) {
      case K.Int: {
        const d = this.extra(t, 0), enc = (d >>> 24) & 0xf;
        const encoding = enc === 0 ? '(none)' : enc === 1 ? 'SIGNED' : enc === 2 ? 'CHAR' : enc === 4 ? 'BOOL' : 'UNKN';
        return this.say(`size=${this.st(t)} bits_offset=${(d >>> 16) & 0xff} nr_bits=${d & 0xff} encoding=${encoding}`);
      }
      case K.Fwd: return this.say(this.kflag(t) ? 'union' : 'struct');
      case K.Array: return this.say(`type_id=${this.extra(t, 0)} index_type_id=${this.extra(t, 1)} nr_elems=${this.extra(t, 2)}`);
      case K.Struct: case K.Union: case K.Enum: case K.Enum64: case K.Datasec:
        return this.say(`size=${this.st(t)} vlen=${this.vlen(t)}`);
      case K.FuncProto: return this.logFuncProto(t);
      case K.Var: return this.say(`type_id=${this.st(t)} linkage=${this.extra(t, 0)}`);
      case K.Float: return this.say(`size=${this.st(t)}`);
      case K.DeclTag: return this.say(`type=${this.st(t)} component_idx=${this.extra(t, 0) | 0}`);
      default: return this.say(`type_id=${this.st(t)}`); // PTR, modifiers, FUNC: btf_ref_type_log
    }
  }
  /** btf_func_proto_log */
  logFuncProto(t: number): void {
    const n = this.vlen(t), arg = (i: number): [number, string] => [this.extra(t, 2 * i + 1), this.logName(this.extra(t, 2 * i))];
    this.say(`return=${this.st(t)} args=(`);
    if (n === 0) this.say('void');
    else if (n === 1 && arg(0)[0] === 0) this.say('vararg');
    else {
      this.say(arg(0).join(' '));
      for (let i = 1; i < n - 1; i++) this.say(`, ${arg(i).join(' ')}`);
      if (n > 1) this.say(arg(n - 1)[0] ? `, ${arg(n - 1).join(' ')}` : ', vararg');
    }
    this.say(')');
  }

  // --- btf_parse_hdr, btf_check_sec_info ---
  parseHdr(): number {
    const size = this.data.length, hdrSize = this.layout ? 32 : BTF_HEADER_LEN;
    if (size < 8) return this.fail('hdr_len not found', EINVAL);
    const hdrLen = this.u32(4);
    if (size < hdrLen) return this.fail('btf_header not found', EINVAL);
    for (let i = hdrSize; i < hdrLen; i++) if (this.data[i]) return this.fail('Unsupported btf_header', E2BIG);
    const hdr = new Uint8Array(hdrSize);
    hdr.set(this.data.subarray(0, Math.min(hdrLen, hdrSize)));
    const h = new DataView(hdr.buffer);
    const magic = h.getUint16(0, true), version = hdr[2]!, flags = hdr[3]!;
    [this.hdrLen, this.typeOff, this.typeLen, this.strOff, this.strLen] = [4, 8, 12, 16, 20].map((o) => h.getUint32(o, true)) as [number, number, number, number, number];
    if (this.layout) [this.layoutOff, this.layoutLen] = [h.getUint32(24, true), h.getUint32(28, true)];
    // btf_verifier_log_hdr
    this.say(`magic: 0x${magic.toString(16)}\nversion: ${version}\nflags: 0x${flags.toString(16)}\nhdr_len: ${this.hdrLen}\n`);
    this.say(`type_off: ${this.typeOff}\ntype_len: ${this.typeLen}\nstr_off: ${this.strOff}\nstr_len: ${this.strLen}\n`);
    if (this.layout && this.hdrLen >= 32 && size >= this.hdrLen) this.say(`layout_off: ${this.layoutOff}\nlayout_len: ${this.layoutLen}\n`);
    this.say(`btf_total_size: ${size}\n`);
    if (magic !== BTF_MAGIC) return this.fail('Invalid magic', EINVAL);
    if (version !== BTF_VERSION) return this.fail('Unsupported version', ENOTSUPP);
    if (flags) return this.fail('Unsupported flags', ENOTSUPP);
    if (size === this.hdrLen) return this.fail('No data', EINVAL);
    // btf_check_sec_info: the sections sorted by btf_sec_info_cmp ((int) differences of offset, then length,
    // not a total order) with lib/sort.c, then laid end to end after the header.
    const secs = [[this.typeOff, this.typeLen], [this.strOff, this.strLen]];
    if (this.layout && this.hdrLen >= 32 && this.layoutLen) secs.push([this.layoutOff, this.layoutLen]);
    sortR(secs, (x, y) => ((x[0]! - y[0]!) | 0) || ((x[1]! - y[1]!) | 0));
    const expected = size - this.hdrLen;
    let total = 0;
    for (const [off, len] of secs) {
      if (expected < off!) return this.fail('Invalid section offset', EINVAL);
      if (total < off!) return this.fail('Unsupported section found', EINVAL);
      if (total > off!) return this.fail('Section overlap found', EINVAL);
      if (expected - total < len!) return this.fail('Total section length too long', EINVAL);
      total += len!;
    }
    if (expected !== total) return this.fail('Unsupported section found', EINVAL);
    return 0;
  }

  fail(msg: string, errno: number): number {
    this.say(msg);
    return -errno;
  }

  /** btf_parse_str_sec (with a layout header, btfLayoutSection, the strings need not come last) */
  parseStrSec(): number {
    const start = this.hdrLen + this.strOff, end = start + this.strLen;
    const last = !this.layout || this.hdrLen < 32;
    if (last && end !== this.data.length) return this.fail('String section is not at the end', EINVAL);
    this.strStart = start;
    if (!this.strLen || this.strLen - 1 > BTF_MAX_NAME_OFFSET || this.data[end - 1]) return this.fail('Invalid string section', EINVAL);
    if (this.data[start]) return this.fail('Invalid string section', EINVAL);
    return 0;
  }

  /** btf_parse_layout_sec (btfLayoutSection): the kinds' layout, which the checks do not use otherwise. */
  parseLayoutSec(): number {
    if (!this.layout || this.hdrLen < 32 || this.layoutLen === 0) return 0;
    if (this.layoutOff & 3) return this.fail('Unaligned layout_off', EINVAL);
    if (this.layoutLen < 4) return this.fail('Layout section is too small', EINVAL);
    if (this.layoutLen % 4) return this.fail('layout_len is not multiple of 4', EINVAL);
    if (this.hdrLen + this.layoutOff + this.layoutLen > this.data.length) return this.fail('Layout section is too big', EINVAL);
    return 0;
  }

  /** btf_parse_type_sec up to btf_check_all_metas (btf-load.ts goes on with btf_check_all_types). */
  checkAllMetas(): number {
    if (this.typeOff & 3) return this.fail('Unaligned type_off', EINVAL);
    if (!this.typeLen) return this.fail('No type found', EINVAL);
    let cur = this.hdrLen + this.typeOff;
    const end = cur + this.typeLen;
    for (this.logTypeId = 1; cur < end; this.logTypeId++) {
      const n = this.checkMeta(cur, end - cur);
      if (n < 0) return n;
      // btf_add_type: past BTF_MAX_TYPE types (void included) the type is not added, and the caller does not look.
      if (this.types.length === BTF_MAX_TYPE) this.say('Exceeded max num of types');
      else this.types.push(cur);
      cur += n;
    }
    return 0;
  }

  /** btf_check_meta, then the kind's check_meta: the bytes the record takes, or -errno. */
  checkMeta(t: number, metaLeft: number): number {
    const id = this.logTypeId;
    if (metaLeft < 12) return this.fail(`[${id}] meta_left:${metaLeft} meta_needed:12`, EINVAL);
    metaLeft -= 12;
    const info = this.info(t);
    if (!this.wide && info & ~BTF_INFO_MASK) return this.fail(`[${id}] Invalid btf_info:${(info >>> 0).toString(16)}`, EINVAL);
    const kind = this.kind(t);
    if (kind > K.Enum64 || kind === 0) return this.fail(`[${id}] Invalid kind:${kind}`, EINVAL);
    if (!this.nameOffsetValid(this.nameOff(t))) return this.fail(`[${id}] Invalid name_offset:${this.nameOff(t)}`, EINVAL);
    const n = checkKindMeta(this, t, kind, metaLeft);
    return n < 0 ? n : 12 + n;
  }

  /** A refusal of type `t` with its dump line (btf_verifier_log_type). */
  refuse(t: number, msg: string, errno: number = EINVAL): number {
    this.logType(t, msg);
    return -errno;
  }

  /** btf_type_id_size: the type with a size that `id` stands for, its id and size; undefined when none. */
  idSize(id: number): { t: number; id: number; size: number } | undefined {
    let t = this.byId(id);
    if (this.nosizeOrNull(t)) return undefined;
    if (!this.hasSize(t) && !this.is(t, K.Array) && !this.is(t, K.Ptr)) {
      if (!this.isModifier(t) && !this.is(t, K.Var)) return undefined;
      id = this.resolvedIds[id]!;
      t = this.byId(id);
      if (this.nosizeOrNull(t) || !(this.hasSize(t) || this.is(t, K.Array) || this.is(t, K.Ptr))) return undefined;
    }
    const size = this.hasSize(t) ? this.st(t) : this.is(t, K.Array) ? this.resolvedSizes[id]! : 8;
    return { t, id, size };
  }
}

/** Each kind's check_meta: the bytes after struct btf_type it takes, or -errno. */
function checkKindMeta(e: BtfEnv, t: number, kind: number, metaLeft: number): number {
  const need = (n: number): boolean => {
    if (metaLeft >= n) return true;
    e.logBasic(t, `meta_left:${metaLeft} meta_needed:${n}`);
    return false;
  };
  const vlen = e.vlen(t), kflag = e.kflag(t), size = e.st(t), nameOff = e.nameOff(t);
  const named = (): boolean => nameOff !== 0 && e.validIdentifier(nameOff);
  const validId = (id: number): boolean => id <= BTF_MAX_TYPE;
  switch (kind) {
    case K.Int: { // btf_int_check_meta
      if (!need(4)) return -EINVAL;
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      const d = e.extra(t, 0);
      if (d & ~BTF_INT_MASK) { e.logBasic(t, `Invalid int_data:${(d >>> 0).toString(16)}`); return -EINVAL; }
      const bits = (d & 0xff) + ((d >>> 16) & 0xff);
      if (bits > 128) return e.refuse(t, 'nr_bits exceeds 128');
      if ((bits + 7) >>> 3 > size) return e.refuse(t, 'nr_bits exceeds type_size');
      const enc = (d >>> 24) & 0xf;
      if (enc && enc !== 1 && enc !== 2 && enc !== 4) return e.refuse(t, 'Unsupported encoding', ENOTSUPP);
      e.logType(t);
      return 4;
    }
    case K.Ptr: case K.Typedef: case K.Volatile: case K.Const: case K.Restrict: case K.TypeTag: // btf_ref_type_check_meta
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag && !(kind === K.TypeTag && btfTagKindFlag(e.version))) return e.refuse(t, 'Invalid btf_info kind_flag');
      if (!validId(size)) return e.refuse(t, 'Invalid type_id');
      if (kind === K.Typedef ? !named() : kind === K.TypeTag ? !e.data[e.strStart + nameOff] : nameOff !== 0) return e.refuse(t, 'Invalid name');
      e.logType(t);
      return 0;
    case K.Fwd: // btf_fwd_check_meta
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (size) return e.refuse(t, 'type != 0');
      if (!named()) return e.refuse(t, 'Invalid name');
      e.logType(t);
      return 0;
    case K.Array: { // btf_array_check_meta
      if (!need(12)) return -EINVAL;
      if (nameOff) return e.refuse(t, 'Invalid name');
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      if (size) return e.refuse(t, 'size != 0');
      const elem = e.extra(t, 0), index = e.extra(t, 1);
      if (!elem || !validId(elem)) return e.refuse(t, 'Invalid elem');
      if (!index || !validId(index)) return e.refuse(t, 'Invalid index');
      e.logType(t);
      return 12;
    }
    case K.Struct: case K.Union: { // btf_struct_check_meta
      if (!need(12 * vlen)) return -EINVAL;
      if (nameOff && !e.validIdentifier(nameOff)) return e.refuse(t, 'Invalid name');
      e.logType(t);
      let last = 0;
      for (let i = 0; i < vlen; i++) {
        const m = e.member(t, i);
        const bad = (msg: string): number => (e.logMember(t, m, msg), -EINVAL);
        if (!e.nameOffsetValid(m.nameOff)) return bad(`Invalid member name_offset:${m.nameOff}`);
        if (m.nameOff && !e.validIdentifier(m.nameOff)) return bad('Invalid name');
        if (!m.type || !validId(m.type)) return bad('Invalid type_id');
        const off = e.memberBitOffset(t, m);
        if ((kind === K.Union && off) || last > off) return bad('Invalid member bits_offset');
        if ((off >>> 3) + (off & 7 ? 1 : 0) > size) return bad('Member bits_offset exceeds its struct size');
        e.logMember(t, m);
        last = off;
      }
      return 12 * vlen;
    }
    case K.Enum: case K.Enum64: { // btf_enum_check_meta, btf_enum64_check_meta
      const each = kind === K.Enum ? 8 : 12;
      if (!need(each * vlen)) return -EINVAL;
      if (size > 8 || size === 0 || (size & (size - 1))) return e.refuse(t, 'Unexpected size');
      if (nameOff && !e.validIdentifier(nameOff)) return e.refuse(t, 'Invalid name');
      e.logType(t);
      for (let i = 0; i < vlen; i++) {
        const name = e.extra(t, (each / 4) * i);
        if (!e.nameOffsetValid(name)) return e.fail(`\tInvalid name_offset:${name}`, EINVAL);
        if (!name || !e.validIdentifier(name)) return e.refuse(t, 'Invalid name');
        const lo = e.extra(t, (each / 4) * i + 1);
        const val = kind === K.Enum ? String(kflag ? lo | 0 : lo)
          : String(((kflag ? BigInt.asIntN : BigInt.asUintN)(64, (BigInt(e.extra(t, 3 * i + 2)) << 32n) | BigInt(lo))));
        e.say(`\t${e.logName(name)} val=${val}\n`);
      }
      return each * vlen;
    }
    case K.FuncProto: // btf_func_proto_check_meta
      if (!need(8 * vlen)) return -EINVAL;
      if (nameOff) return e.refuse(t, 'Invalid name');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      e.logType(t);
      return 8 * vlen;
    case K.Func: // btf_func_check_meta: vlen is the linkage (static, global, extern)
      if (!named()) return e.refuse(t, 'Invalid name');
      if (vlen > 1) return e.refuse(t, 'Invalid func linkage');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      e.logType(t);
      return 0;
    case K.Var: { // btf_var_check_meta
      if (!need(4)) return -EINVAL;
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      if (!named()) return e.refuse(t, 'Invalid name');
      if (!size || !validId(size)) return e.refuse(t, 'Invalid type_id');
      const linkage = e.extra(t, 0);
      if (linkage !== 0 && linkage !== 1) return e.refuse(t, 'Linkage not supported');
      e.logType(t);
      return 4;
    }
    case K.Datasec: { // btf_datasec_check_meta
      if (!need(12 * vlen)) return -EINVAL;
      if (!size) return e.refuse(t, 'size == 0');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      if (!nameOff || !e.validSection(nameOff)) return e.refuse(t, 'Invalid name');
      e.logType(t);
      let lastEnd = 0, sum = 0;
      for (let i = 0; i < vlen; i++) {
        const [type, offset, len] = [e.extra(t, 3 * i), e.extra(t, 3 * i + 1), e.extra(t, 3 * i + 2)];
        const bad = (msg: string): number => (e.logVsi(t, i, msg), -EINVAL);
        if (!type || !validId(type)) return bad('Invalid type_id');
        if (offset < lastEnd || offset >= size) return bad('Invalid offset');
        if (!len || len > size) return bad('Invalid size');
        lastEnd = offset + len;
        if (lastEnd > size) return bad('Invalid offset+size');
        e.logVsi(t, i);
        sum += len;
      }
      if (size < sum) return e.refuse(t, 'Invalid btf_info size');
      return 12 * vlen;
    }
    case K.Float: // btf_float_check_meta
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag) return e.refuse(t, 'Invalid btf_info kind_flag');
      if (![2, 4, 8, 12, 16].includes(size)) return e.refuse(t, 'Invalid type_size');
      e.logType(t);
      return 0;
    case K.DeclTag: // btf_decl_tag_check_meta
      if (!need(4)) return -EINVAL;
      if (!e.data[e.strStart + nameOff]) return e.refuse(t, 'Invalid value');
      if (vlen) return e.refuse(t, 'vlen != 0');
      if (kflag && !btfTagKindFlag(e.version)) return e.refuse(t, 'Invalid btf_info kind_flag');
      if ((e.extra(t, 0) | 0) < -1) return e.refuse(t, 'Invalid component_idx');
      e.logType(t);
      return 4;
  }
  return -EINVAL; // unreachable: btf_check_meta refused the kind
}
