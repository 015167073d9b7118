// Hand-built BTF for test/diff/btf-load.test.ts: blobs the kernel accepts (bases for the mutator too), and
// one blob per refusal of kernel/bpf/btf.c btf_parse with the errno and reason the kernel gives (measured on
// 6.18; a case whose answer changed between versions says so through src/emulator/kernel-version.ts).
import { BtfKind as K } from '../../src/btf/decode.js';
import {
  btfDatasecPrintableNames, btfKptrTagWalk, btfLayoutSection, btfOwnershipDepth, btfResSpinLock, btfStructMetas, btfStructMetasStrict, btfTagKindFlag,
  btfTypeTagsAnywhere, btfWideInfo,
} from '../../src/emulator/kernel-version.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { Btf, btf, KFLAG, longerHeader, patchWords } from '../helpers/btf-blobs.js';

const { EINVAL, E2BIG, ENOTSUPP, EEXIST, ENOENT, ELOOP } = errnoByCode;

/** Every kind, used the ways C compilers use them: the kernel accepts it. */
function allKinds(w: Btf): void {
  const int = w.int('int', 4, true); // 1
  const uint = w.int('unsigned int', 4); // 2
  const char = w.int('char', 1, true, 8, 0, 2); // 3
  const bool = w.int('_Bool', 1, false, 8, 0, 4); // 4
  const u64 = w.int('long long unsigned int', 8); // 5
  const s128 = w.int('__int128', 16, true); // 6
  const ptr = w.ptr(0); // 7: void *
  const cint = w.const_(int); // 8
  const vptr = w.volatile(ptr); // 9
  const rptr = w.restrict(w.ptr(cint)); // 10, 11
  const tdef = w.typedef('u32', uint); // 12
  const tagged = w.ptr(w.typeTag('user', cint)); // 13, 14
  const arr = w.arr(char, uint, 16); // 15
  const arr2 = w.arr(arr, int, 2); // 16: char[2][16]
  const fwd = w.fwd('later'); // 17
  const ufwd = w.fwd('ulater', true); // 18
  const en = w.enm('color', 4, [['RED', 0], ['GREEN', 1], ['BLUE', 0xffffffff]]); // 19
  const sen = w.enm('sign', 1, [['NEG', -1], ['POS', 1]], true); // 20
  const e64 = w.enum64('big', 8, [['HUGE', 0x123456789n], ['NEGATIVE', -5n]], true); // 21
  const flt = w.float('double', 8); // 22
  const self = w.nextId;
  const node = w.strct('node', 96, [ // 23
    ['next', w.nextId + 1, 0], ['a', int, 64], ['b', u64, 128], ['name', arr, 192], ['c', tdef, 320], ['d', vptr, 384],
    ['e', rptr, 448], ['f', tagged, 512], ['g', en, 576], ['h', flt, 640], ['i', e64, 704],
  ]);
  w.ptr(self); // 24: struct node *
  const bits = w.strct('bits', 8, [['x', uint, (3 << 24) | 0], ['y', uint, (5 << 24) | 3], ['z', sen, (8 << 24) | 8], ['w', bool, 16], ['q', uint, 32]], true); // 25
  const un = w.union('u', 16, [['i', int, 0], ['big', s128, 0], ['s', bits, 0], ['p', w.ptr(fwd), 0]]); // 26, 27
  void ufwd;
  const proto = w.proto(int, [['ctx', ptr], ['n', uint]]); // 28
  const main = w.func('main_prog', proto, 1); // 29
  w.func('helper', w.proto(0, [['x', int], ['', 0]]), 0); // 30, 31: void helper(int x, ...)
  const fptr = w.ptr(w.proto(0, [])); // 32, 33: void (*)(void)
  w.strct('ops', 8, [['cb', fptr, 0]]); // 34
  const v1 = w.variable('counter', u64, 1); // 35
  const v2 = w.variable('local', node, 0); // 36
  const v3 = w.variable('grid', arr2, 1); // 37
  w.datasec('.bss', 8 + 96 + 32, [[v1, 0, 8], [v2, 8, 96], [v3, 104, 32]]); // 38
  w.datasec('license', 4, [[w.variable('_license', w.arr(char, int, 4), 1), 0, 4]]); // 39.. 41
  w.declTag('tag_on_struct', self);
  w.declTag('tag_on_member', self, 1);
  w.declTag('tag_on_func', main);
  w.declTag('tag_on_arg', main, 0);
  w.declTag('tag_on_var', v1);
  w.declTag('tag_on_typedef', tdef);
  w.declTag('tag_on_union_member', un, 3);
  w.strct('empty', 0, []);
  w.union('', 4, [['', int, 0]]);
  w.strct('', 4, [['', uint, 0]]);
  w.typedef('sec.name_ok', int);
}

const spinLock = (w: Btf): number => w.strct('bpf_spin_lock', 4, [['val', w.int('unsigned int', 4), 0]]);
const resSpinLock = (w: Btf): number => w.strct('bpf_res_spin_lock', 4, [['val', w.int('unsigned int', 4), 0]]);
const opaque = (w: Btf, name: string, words: number): number =>
  w.strct(name, 8 * words, [['__opaque', w.arr(w.int('long long unsigned int', 8), w.int('int', 4, true), words), 0]]);

/** A map value with a bpf_spin_lock (what the lock fixtures' maps hold). */
function lockValue(w: Btf): void {
  const lock = spinLock(w);
  w.strct('val', 8, [['lock', lock, 0], ['count', w.int('int', 4, true), 32]]);
}

/** A bpf_list_head of nodes and a bpf_rb_root of refcounted nodes, each under a bpf_spin_lock. */
function graphs(w: Btf): void {
  const lock = spinLock(w);
  const listNode = opaque(w, 'bpf_list_node', 3), listHead = opaque(w, 'bpf_list_head', 2);
  const rbNode = opaque(w, 'bpf_rb_node', 4), rbRoot = opaque(w, 'bpf_rb_root', 2);
  const refcount = w.strct('bpf_refcount', 4, [['__opaque', w.arr(w.int('unsigned int', 4), w.int('int', 4, true), 1), 0]]);
  const long = w.int('long', 8, true);
  w.strct('elem', 32, [['data', long, 0], ['node', listNode, 64]]);
  w.strct('tree_elem', 48, [['key', long, 0], ['rb', rbNode, 64], ['ref', refcount, 320]]);
  const glob = w.strct('glob', 48, [['lock', lock, 0], ['head', listHead, 64], ['root', rbRoot, 192]]);
  w.declTag('contains:elem:node', glob, 1);
  w.declTag('contains:tree_elem:rb', glob, 2);
}

/** kptrs to a program type: referenced, untrusted, per-CPU, in a struct with a lock. */
function kptrs(w: Btf): void {
  const obj = w.strct('obj', 8, [['x', w.int('long', 8, true), 0]]);
  const kptr = (tag: string): number => w.ptr(w.typeTag(tag, obj));
  w.strct('holder', 32, [['lock', spinLock(w), 0], ['a', kptr('kptr'), 64], ['b', kptr('kptr_untrusted'), 128], ['c', kptr('percpu_kptr'), 192]]);
}

/** kptrs to kernel structs: those with a destructor kfunc, or not referenced. */
function kernelKptrs(w: Btf): void {
  const kptr = (tag: string, name: string): number => w.ptr(w.typeTag(tag, w.strct(name, 8, [])));
  w.strct('holder', 40, [['lock', spinLock(w), 0], ['t', kptr('kptr', 'task_struct'), 64], ['c', kptr('kptr', 'cgroup'), 128],
    ['m', kptr('kptr', 'bpf_cpumask'), 192], ['s', kptr('kptr_untrusted', 'sk_buff'), 256]]);
}

/**
 * A case: the blob and what the kernel of `version` answers (undefined: accepted); `reason` undefined when
 * the case does not pin the log line down.
 */
export interface BtfCase { name: string; blob: Uint8Array; expect: (version: string) => { errno: number; reason?: string } | undefined }
const cases: BtfCase[] = [];
/** Accepted (on kernels where `since` holds; refused as `before` says on the others). */
function accept(name: string, blob: Uint8Array, since?: (version: string) => boolean, before?: { errno: number; reason: string }): void {
  cases.push({ name, blob, expect: (v) => (!since || since(v) ? undefined : before) });
}
/** What the kernel answers depends on its version beyond accept/refuse. */
function answer(name: string, blob: Uint8Array, expect: BtfCase['expect']): void {
  cases.push({ name, blob, expect });
}
/** Refused with `errno` and `reason` (on kernels where `when` holds, accepted on the others). */
function refuse(name: string, errno: number, reason: string | undefined, blob: Uint8Array, when?: (version: string) => boolean): void {
  cases.push({ name, blob, expect: (v) => (!when || when(v) ? { errno, reason } : undefined) });
}

accept('every kind', btf(allKinds));
accept('a value with a bpf_spin_lock', btf(lockValue));
accept('list and rbtree graphs', btf(graphs));
accept('kptrs to program types', btf(kptrs));
accept('kptrs to kernel types', btf(kernelKptrs));
accept('one int', btf((w) => w.int('int', 4, true)));
accept('a header with zeros past 24 bytes', longerHeader(btf(lockValue), new Uint8Array(8)));
accept('an attribute type tag (kind_flag)', btf((w) => w.ptr(w.typeTag('attr', w.int('int', 4, true), true))),
  btfTagKindFlag, { errno: EINVAL, reason: '[2] TYPE_TAG attr type_id=1 Invalid btf_info kind_flag' });
accept('an attribute decl tag (kind_flag)', btf((w) => { const s = w.strct('s', 4, [['a', w.int('int', 4), 0]]); w.raw(w.str('attr'), K.DeclTag, KFLAG, s, -1); }),
  btfTagKindFlag, { errno: EINVAL, reason: '[3] DECL_TAG attr type=2 component_idx=-1 Invalid btf_info kind_flag' });

/** Blobs the kernel of `version` accepts, as bases for the mutator. */
export const validBlobs = (version: string): [string, Uint8Array][] => cases.filter((c) => !c.expect(version)).map((c) => [c.name, c.blob]);

const one = (build: (w: Btf) => void): Uint8Array => btf(build);
const INT = (w: Btf): number => w.int('int', 4, true);

// btf_parse_hdr, btf_check_sec_info
const base = btf(lockValue);
const [typeLen, strLen] = [new DataView(base.buffer).getUint32(12, true), new DataView(base.buffer).getUint32(20, true)];
refuse('over 16 MiB (BTF_MAX_SIZE: nothing logged)', E2BIG, '', (() => { const b = new Uint8Array((16 << 20) + 1); b.set(base); return b; })());
refuse('shorter than hdr_len', EINVAL, 'hdr_len not found', base.slice(0, 6));
refuse('hdr_len past the end', EINVAL, 'btf_header not found', patchWords(base, { 4: base.length + 1 }));
refuse('unknown header bytes set', E2BIG, 'Unsupported btf_header', longerHeader(base, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0)));
refuse('a 28-byte header (layout_off only, on 7.x)', E2BIG, 'Unsupported btf_header', longerHeader(base, Uint8Array.of(0, 0, 1, 0)),
  (v) => !btfLayoutSection(v));
refuse('big-endian magic', EINVAL, 'Invalid magic', Uint8Array.from(base, (b, i) => (i === 0 ? 0xeb : i === 1 ? 0x9f : b)));
refuse('version 2', ENOTSUPP, 'Unsupported version', Uint8Array.from(base, (b, i) => (i === 2 ? 2 : b)));
refuse('flags', ENOTSUPP, 'Unsupported flags', Uint8Array.from(base, (b, i) => (i === 3 ? 1 : b)));
refuse('a header and nothing else', EINVAL, 'No data', patchWords(base.slice(0, 24), { 12: 0, 16: 0, 20: 0 }));
refuse('hdr_len 4 (the header copy stops before hdr_len)', EINVAL, 'Unsupported section found', patchWords(base, { 4: 4 }));
refuse('str_off past the end', EINVAL, 'Invalid section offset', patchWords(base, { 16: base.length }));
refuse('a gap between the sections', EINVAL, 'Unsupported section found', patchWords(base, { 16: typeLen + 4, 20: strLen - 4 }));
refuse('overlapping sections', EINVAL, 'Section overlap found', patchWords(base, { 16: typeLen - 4, 20: strLen + 4 }));
refuse('a section past the end', EINVAL, 'Total section length too long', patchWords(base, { 20: strLen + 1 }));
refuse('bytes after the sections', EINVAL, 'Unsupported section found', new Uint8Array([...base, 0, 0, 0, 0]));
refuse('strings before types', EINVAL, 'String section is not at the end', (() => {
  const types = base.subarray(24, 24 + typeLen), strs = base.subarray(24 + typeLen);
  const pad = (4 - (strLen % 4)) % 4;
  const out = new Uint8Array([...base.subarray(0, 24), ...strs, ...new Uint8Array(pad), ...types]);
  return patchWords(out, { 8: strLen + pad, 16: 0, 20: strLen + pad });
})());
// btf_parse_layout_sec, btf_check_sec_info with a layout section (7.x; before, its header bytes are unknown)
const withLayout = (layout: number[], strLast = true): Uint8Array => {
  // header (32), types, [strings, layout] or [layout, strings]
  // (strings padded with NULs to 4 bytes, so that a layout section after them is aligned)
  const types = base.subarray(24, 24 + typeLen), strs = [...base.subarray(24 + typeLen), ...new Uint8Array((4 - (strLen % 4)) % 4)];
  const lay = new Uint8Array(layout.length);
  lay.set(layout);
  const body = strLast ? [...types, ...lay, ...strs] : [...types, ...strs, ...lay];
  const out = new Uint8Array([...base.subarray(0, 24), ...new Uint8Array(8), ...body]);
  const layoutOff = strLast ? typeLen : typeLen + strs.length;
  return patchWords(out, { 4: 32, 8: 0, 12: typeLen, 16: strLast ? typeLen + layout.length : typeLen, 20: strs.length, 24: layoutOff, 28: layout.length });
};
const before7 = { errno: E2BIG, reason: 'Unsupported btf_header' };
answer('a layout section', withLayout([0, 0, 0, 0, 4, 0, 0, 0]), (v) => (btfLayoutSection(v) ? undefined : before7));
answer('a layout section after the strings', withLayout([0, 0, 0, 0], false), (v) => (btfLayoutSection(v) ? undefined : before7));
answer('a layout section of 6 bytes', withLayout([0, 0, 0, 0, 0, 0]), (v) => (btfLayoutSection(v) ? { errno: EINVAL, reason: 'layout_len is not multiple of 4' } : before7));
answer('a layout section of 2 bytes', withLayout([0, 0]), (v) => (btfLayoutSection(v) ? { errno: EINVAL, reason: 'Layout section is too small' } : before7));
answer('a layout section not 4-aligned', (() => {
  // the type section 2 bytes short, the layout section right after it
  const b = withLayout([0, 0, 0, 0]);
  const out = new Uint8Array([...b.subarray(0, 32 + typeLen - 2), ...b.subarray(32 + typeLen)]);
  return patchWords(out, { 12: typeLen - 2, 16: typeLen + 2, 24: typeLen - 2 });
})(), (v) => (btfLayoutSection(v) ? { errno: EINVAL, reason: 'Unaligned layout_off' } : before7));
answer('strings not last without a layout section', (() => {
  const b = withLayout([0, 0, 0, 0], false);
  return patchWords(b, { 28: 0 });
})(), (v) => (btfLayoutSection(v) ? { errno: EINVAL, reason: 'Unsupported section found' } : before7));

// btf_parse_str_sec, btf_parse_type_sec
refuse('strings not starting with NUL', EINVAL, 'Invalid string section', Uint8Array.from(base, (b, i) => (i === 24 + typeLen ? 0x41 : b)));
refuse('strings not ending with NUL', EINVAL, 'Invalid string section', Uint8Array.from(base, (b, i) => (i === base.length - 1 ? 0x41 : b)));
refuse('an empty string section', EINVAL, 'Invalid string section', patchWords(base.slice(0, 24 + typeLen), { 20: 0 }));
refuse('type_off not 4-aligned', EINVAL, 'Unaligned type_off', patchWords(Uint8Array.of(...base.subarray(0, 24), 0, 0), { 8: 2, 12: 0, 16: 0, 20: 2 }));
refuse('no types', EINVAL, 'No type found', patchWords(Uint8Array.of(...base.subarray(0, 24), 0, 0x41, 0), { 8: 0, 12: 0, 16: 0, 20: 3 }));
// btf_check_meta
refuse('a record cut short', EINVAL, '[2] meta_left:8 meta_needed:12', (() => {
  const b = one((w) => { INT(w); INT(w); });
  return patchWords(Uint8Array.of(...b.subarray(0, 24 + 24), ...b.subarray(24 + 32)), { 12: 24, 16: 24 });
})());
answer('info bits 16..23 (reserved, or vlen on 7.x)', one((w) => w.raw(w.str('int'), K.Int, 0x10000, 4, 32)), (v) => ({
  errno: EINVAL, reason: btfWideInfo(v) ? '[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=(none) vlen != 0' : '[1] Invalid btf_info:1010000',
}));
answer('info bits 29..30 (reserved, or kind on 7.x)', one((w) => w.raw(w.str('int'), 0x21, 0, 4, 32)), (v) => ({
  errno: EINVAL, reason: btfWideInfo(v) ? '[1] Invalid kind:33' : '[1] Invalid btf_info:21000000',
}));
refuse('kind 0', EINVAL, '[1] Invalid kind:0', one((w) => w.raw(0, 0, 0, 0)));
refuse('kind 20', EINVAL, '[1] Invalid kind:20', one((w) => w.raw(0, 20, 0, 0)));
refuse('name offset past the strings', EINVAL, '[1] Invalid name_offset:4096', one((w) => w.raw(4096, K.Int, 0, 4, 32)));
// btf_int_check_meta
refuse('INT: no room for its data', EINVAL, '[1] INT int meta_left:0 meta_needed:4', one((w) => w.raw(w.str('int'), K.Int, 0, 4)));
refuse('INT: vlen', EINVAL, '[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=SIGNED vlen != 0', one((w) => w.raw(w.str('int'), K.Int, 1, 4, (1 << 24) | 32)));
refuse('INT: kind_flag', EINVAL, '[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=(none) Invalid btf_info kind_flag', one((w) => w.raw(w.str('int'), K.Int, KFLAG, 4, 32)));
refuse('INT: reserved bits', EINVAL, '[1] INT int Invalid int_data:10000020', one((w) => w.raw(w.str('int'), K.Int, 0, 4, 0x10000020)));
refuse('INT: over 128 bits', EINVAL, '[1] INT i size=16 bits_offset=8 nr_bits=128 encoding=(none) nr_bits exceeds 128', one((w) => w.int('i', 16, false, 128, 8)));
refuse('INT: bits past its size', EINVAL, '[1] INT i size=4 bits_offset=0 nr_bits=33 encoding=(none) nr_bits exceeds type_size', one((w) => w.int('i', 4, false, 33)));
refuse('INT: two encodings', ENOTSUPP, '[1] INT i size=4 bits_offset=0 nr_bits=32 encoding=UNKN Unsupported encoding', one((w) => w.int('i', 4, false, 32, 0, 3)));
// btf_ref_type_check_meta
refuse('PTR: named', EINVAL, '[2] PTR p type_id=1 Invalid name', one((w) => w.raw(w.str('p'), K.Ptr, 0, INT(w))));
refuse('PTR: vlen', EINVAL, '[2] PTR (anon) type_id=1 vlen != 0', one((w) => w.raw(0, K.Ptr, 1, INT(w))));
refuse('CONST: kind_flag', EINVAL, '[2] CONST (anon) type_id=1 Invalid btf_info kind_flag', one((w) => w.raw(0, K.Const, KFLAG, INT(w))));
refuse('VOLATILE: type id past BTF_MAX_TYPE', EINVAL, '[1] VOLATILE (anon) type_id=1048576 Invalid type_id', one((w) => w.raw(0, K.Volatile, 0, 0x100000)));
refuse('TYPEDEF: no name', EINVAL, '[2] TYPEDEF (anon) type_id=1 Invalid name', one((w) => w.typedef('', INT(w))));
refuse('TYPEDEF: not an identifier', EINVAL, '[2] TYPEDEF 1x type_id=1 Invalid name', one((w) => w.typedef('1x', INT(w))));
refuse('TYPEDEF: 513 bytes', EINVAL, `[2] TYPEDEF ${'x'.repeat(513)} type_id=1 Invalid name`, one((w) => w.typedef('x'.repeat(513), INT(w))));
refuse('TYPEDEF: a name longer than a log line', EINVAL, `[2] TYPEDEF ${'y'.repeat(1011)}type_id=1 Invalid name`, one((w) => w.typedef('y'.repeat(2000), INT(w))));
refuse('RESTRICT: named', EINVAL, '[2] RESTRICT r type_id=1 Invalid name', one((w) => w.raw(w.str('r'), K.Restrict, 0, INT(w))));
refuse('TYPE_TAG: no name', EINVAL, '[2] TYPE_TAG (anon) type_id=1 Invalid name', one((w) => w.typeTag('', INT(w))));
// btf_fwd_check_meta, btf_array_check_meta
refuse('FWD: vlen', EINVAL, '[1] FWD f struct vlen != 0', one((w) => w.raw(w.str('f'), K.Fwd, 1, 0)));
refuse('FWD: a type', EINVAL, '[1] FWD f union type != 0', one((w) => w.raw(w.str('f'), K.Fwd, KFLAG, 1)));
refuse('FWD: no name', EINVAL, '[1] FWD (anon) struct Invalid name', one((w) => w.fwd('')));
refuse('ARRAY: named', EINVAL, '[2] ARRAY a type_id=1 index_type_id=1 nr_elems=2 Invalid name', one((w) => { const i = INT(w); w.raw(w.str('a'), K.Array, 0, 0, i, i, 2); }));
refuse('ARRAY: a size', EINVAL, '[2] ARRAY (anon) type_id=1 index_type_id=1 nr_elems=2 size != 0', one((w) => { const i = INT(w); w.raw(0, K.Array, 0, 8, i, i, 2); }));
refuse('ARRAY: of void', EINVAL, '[2] ARRAY (anon) type_id=0 index_type_id=1 nr_elems=2 Invalid elem', one((w) => w.arr(0, INT(w), 2)));
refuse('ARRAY: no index type', EINVAL, '[2] ARRAY (anon) type_id=1 index_type_id=0 nr_elems=2 Invalid index', one((w) => w.arr(INT(w), 0, 2)));
refuse('ARRAY: no room for its data', EINVAL, '[1] ARRAY (anon) meta_left:8 meta_needed:12', (() => {
  const b = one((w) => w.raw(0, K.Array, 0, 0, 1, 1));
  return b;
})());
// btf_struct_check_meta
refuse('STRUCT: not an identifier', EINVAL, '[2] STRUCT a-b size=4 vlen=1 Invalid name', one((w) => w.strct('a-b', 4, [['x', INT(w), 0]])));
refuse('STRUCT: member name offset', EINVAL, '(invalid-name-offset) type_id=1 bits_offset=32 Invalid member name_offset:999', (() => {
  const b = one((w) => { const i = INT(w); w.raw(w.str('s'), K.Struct, 2, 8, w.str('x'), i, 0, 999, i, 32); });
  return b;
})());
refuse('STRUCT: member of void', EINVAL, 'x type_id=0 bits_offset=0 Invalid type_id', one((w) => w.strct('s', 4, [['x', 0, 0]])));
refuse('UNION: a member offset', EINVAL, 'y type_id=1 bits_offset=8 Invalid member bits_offset', one((w) => { const i = INT(w); w.union('u', 4, [['x', i, 0], ['y', i, 8]]); }));
refuse('STRUCT: members out of order', EINVAL, 'y type_id=1 bits_offset=0 Invalid member bits_offset', one((w) => { const i = INT(w); w.strct('s', 8, [['x', i, 32], ['y', i, 0]]); }));
refuse('STRUCT: a member past its size', EINVAL, 'x type_id=1 bits_offset=65 Member bits_offset exceeds its struct size', one((w) => w.strct('s', 8, [['x', INT(w), 65]])));
refuse('STRUCT: kind_flag bit offsets', EINVAL, 'y type_id=1 bitfield_size=0 bits_offset=0 Invalid member bits_offset', one((w) => { const i = INT(w); w.strct('s', 8, [['x', i, 32], ['y', i, 0]], true); }));
// btf_enum_check_meta, btf_enum64_check_meta
refuse('ENUM: size 3', EINVAL, '[1] ENUM e size=3 vlen=1 Unexpected size', one((w) => w.enm('e', 3, [['A', 1]])));
refuse('ENUM64: size 16', EINVAL, '[1] ENUM64 e size=16 vlen=1 Unexpected size', one((w) => w.enum64('e', 16, [['A', 1n]])));
refuse('ENUM: a value name offset', EINVAL, 'Invalid name_offset:999', one((w) => w.raw(w.str('e'), K.Enum, 2, 4, w.str('A'), 1, 999, 2)));
refuse('ENUM: a value without a name', EINVAL, '[1] ENUM e size=4 vlen=2 Invalid name', one((w) => w.enm('e', 4, [['A', 1], ['', 2]])));
refuse('ENUM64: a value that is no identifier', EINVAL, '[1] ENUM64 e size=8 vlen=2 Invalid name', one((w) => w.enum64('e', 8, [['A', -1n], ['B C', 2n]], true)));
// btf_func_proto_check_meta, btf_func_check_meta, btf_var_check_meta
refuse('FUNC_PROTO: named', EINVAL, '[2] FUNC_PROTO f return=1 args=(1 a, vararg) Invalid name', one((w) => { const i = INT(w); w.raw(w.str('f'), K.FuncProto, 2, i, w.str('a'), i, 0, 0); }));
refuse('FUNC_PROTO: kind_flag', EINVAL, '[1] FUNC_PROTO (anon) return=0 args=(void) Invalid btf_info kind_flag', one((w) => w.raw(0, K.FuncProto, KFLAG, 0)));
refuse('FUNC: no name', EINVAL, '[3] FUNC (anon) type_id=2 Invalid name', one((w) => w.func('', w.proto(INT(w), []))));
refuse('FUNC: extern linkage', EINVAL, '[3] FUNC f type_id=2 Invalid func linkage', one((w) => w.func('f', w.proto(INT(w), []), 2)));
refuse('FUNC: kind_flag', EINVAL, '[3] FUNC f type_id=2 Invalid btf_info kind_flag', one((w) => w.func('f', w.proto(INT(w), []), KFLAG)));
refuse('VAR: of void', EINVAL, '[1] VAR v type_id=0 linkage=1 Invalid type_id', one((w) => w.variable('v', 0)));
refuse('VAR: extern linkage', EINVAL, '[2] VAR v type_id=1 linkage=2 Linkage not supported', one((w) => w.variable('v', INT(w), 2)));
refuse('VAR: not an identifier', EINVAL, '[2] VAR a-b type_id=1 linkage=1 Invalid name', one((w) => w.variable('a-b', INT(w))));
// btf_datasec_check_meta, btf_float_check_meta, btf_decl_tag_check_meta
refuse('DATASEC: size 0 (as clang writes it)', EINVAL, '[3] DATASEC .data size=0 vlen=1 size == 0', one((w) => w.datasec('.data', 0, [[w.variable('v', INT(w)), 0, 4]])));
refuse('DATASEC: not printable', EINVAL, '[3] DATASEC a\tb size=4 vlen=1 Invalid name', one((w) => w.datasec('a\tb', 4, [[w.variable('v', INT(w)), 0, 4]])));
answer('DATASEC: Latin-1 name (printable in the kernel, no identifier)', one((w) => w.datasec('.d\u00e9', 4, [[w.variable('v', INT(w)), 2, 4]])), (v) => ({
  errno: EINVAL, reason: btfDatasecPrintableNames(v) ? 'type_id=2 offset=2 size=4 Invalid offset+size' : '[3] DATASEC .d\u00e9 size=4 vlen=1 Invalid name',
}));
refuse('DATASEC: a name with a colon (printable, no identifier)', EINVAL, '[3] DATASEC a:b size=4 vlen=1 Invalid name', one((w) => w.datasec('a:b', 4, [[w.variable('v', INT(w)), 0, 4]])),
  (v) => !btfDatasecPrintableNames(v));
refuse('DATASEC: overlapping variables', EINVAL, 'type_id=2 offset=2 size=4 Invalid offset', one((w) => { const v = w.variable('v', INT(w)); w.datasec('.data', 8, [[v, 0, 4], [v, 2, 4]]); }));
refuse('DATASEC: a variable of size 0', EINVAL, 'type_id=2 offset=0 size=0 Invalid size', one((w) => w.datasec('.data', 8, [[w.variable('v', INT(w)), 0, 0]])));
refuse('DATASEC: a variable of void', EINVAL, 'type_id=0 offset=0 size=4 Invalid type_id', one((w) => w.datasec('.data', 8, [[0, 0, 4]])));
refuse('FLOAT: size 6', EINVAL, '[1] FLOAT f size=6 Invalid type_size', one((w) => w.float('f', 6)));
refuse('DECL_TAG: no value', EINVAL, '[2] DECL_TAG (anon) type=1 component_idx=-1 Invalid value', one((w) => w.declTag('', INT(w))));
refuse('DECL_TAG: component_idx -2', EINVAL, '[2] DECL_TAG t type=1 component_idx=-2 Invalid component_idx', one((w) => w.declTag('t', INT(w), -2)));
// btf_check_all_types: resolve
refuse('PTR: to a missing type', EINVAL, '[1] PTR (anon) type_id=5 Invalid type_id', one((w) => w.ptr(5)));
refuse('TYPEDEF: of a VAR', EINVAL, '[3] TYPEDEF t type_id=2 Invalid type_id', one((w) => w.typedef('t', w.variable('v', INT(w)))));
refuse('TYPEDEF: a loop', EEXIST, '[1] TYPEDEF a type_id=2 Loop detected', one((w) => { w.typedef('a', 2); w.typedef('b', 1); }));
refuse('STRUCT: containing itself', EEXIST, '[1] STRUCT s size=4 vlen=1 Loop detected', one((w) => w.strct('s', 4, [['me', 1, 0]])));
refuse('PTR: a loop through pointers', EEXIST, '[1] PTR (anon) type_id=2 Loop detected', one((w) => { w.ptr(2); w.const_(1); }));
refuse('CONST: 33 deep', E2BIG, '[1] CONST (anon) type_id=2 Exceeded max resolving depth:32', one((w) => { for (let i = 1; i <= 33; i++) w.const_(i + 1); INT(w); }));
refuse('STRUCT: a forward-declared member', EINVAL, 'f type_id=1 bits_offset=0 Invalid member', one((w) => w.strct('s', 4, [['f', w.fwd('f'), 0]])));
refuse('STRUCT: a member past the end', EINVAL, 'x type_id=1 bits_offset=32 Member exceeds struct_size', one((w) => w.strct('s', 6, [['x', INT(w), 32]])));
refuse('STRUCT: a pointer not byte aligned', EINVAL, 'p type_id=2 bits_offset=4 Member is not byte aligned', one((w) => w.strct('s', 16, [['p', w.ptr(INT(w)), 4]])));
refuse('STRUCT: kind_flag bitfield of a pointer', EINVAL, 'p type_id=2 bitfield_size=3 bits_offset=0 Invalid member bitfield_size', one((w) => w.strct('s', 16, [['p', w.ptr(INT(w)), 3 << 24]], true)));
refuse('STRUCT: kind_flag member of a bitfield int', EINVAL, 'x type_id=1 bitfield_size=0 bits_offset=0 Invalid member base type', one((w) => w.strct('s', 4, [['x', w.int('i', 4, false, 3), 0]], true)));
refuse('STRUCT: kind_flag bitfield wider than its int', EINVAL, 'x type_id=1 bitfield_size=9 bits_offset=0 Invalid member bitfield_size', one((w) => w.strct('s', 4, [['x', w.int('c', 1), 9 << 24]], true)));
refuse('STRUCT: a typedef of a struct past the end (logged as the struct)', EINVAL, 'x type_id=1 bits_offset=0 Member exceeds struct_size', one((w) => { const big = w.strct('big', 8, []); w.strct('s', 4, [['x', w.typedef('t', big), 0]]); }));
refuse('STRUCT: a 128-bit int one bit in', EINVAL, 'x type_id=1 bits_offset=1 nr_copy_bits exceeds 128', one((w) => w.strct('s', 32, [['x', w.int('i', 16, false, 128), 1]])));
refuse('STRUCT: a misaligned float', EINVAL, 'f type_id=1 bits_offset=32 Member is not properly aligned', one((w) => w.strct('s', 16, [['f', w.float('double', 8), 32]])));
refuse('STRUCT: a 33-bit enum bitfield', EINVAL, 'e type_id=1 bitfield_size=33 bits_offset=0 Invalid member bitfield_size', one((w) => w.strct('s', 8, [['e', w.enum64('e', 8, [['A', 1n]]), 33 << 24]], true)));
refuse('ARRAY: indexed by a pointer', EINVAL, '[3] ARRAY (anon) type_id=1 index_type_id=2 nr_elems=2 Invalid index', one((w) => { const i = INT(w); w.arr(i, w.ptr(i), 2); }));
refuse('ARRAY: of bitfield ints', EINVAL, '[3] ARRAY (anon) type_id=1 index_type_id=2 nr_elems=2 Invalid array of int', one((w) => { const i = w.int('i', 4, false, 31); w.arr(i, INT(w), 2); }));
refuse('ARRAY: larger than 4 GiB', EINVAL, '[2] ARRAY (anon) type_id=1 index_type_id=1 nr_elems=1073741824 Array size overflows U32_MAX', one((w) => { const i = INT(w); w.arr(i, i, 0x40000000); }));
refuse('ARRAY: of functions', EINVAL, '[4] ARRAY (anon) type_id=3 index_type_id=1 nr_elems=2 Invalid elem', one((w) => { const i = INT(w); w.arr(w.func('f', w.proto(i, [])), i, 2); }));
refuse('VAR: of a forward declaration', EINVAL, '[2] VAR v type_id=1 linkage=1 Invalid type_id', one((w) => w.variable('v', w.fwd('f'))));
refuse('DATASEC: holding an INT', EINVAL, 'type_id=1 offset=0 size=4 Not a VAR kind member', one((w) => w.datasec('.data', 4, [[INT(w), 0, 4]])));
refuse('DATASEC: a variable larger than its slot', EINVAL, 'type_id=2 offset=0 size=2 Invalid size', one((w) => w.datasec('.data', 4, [[w.variable('v', INT(w)), 0, 2]])));
refuse('FUNC: of an INT', EINVAL, '[2] FUNC f type_id=1 Invalid type_id', one((w) => w.func('f', INT(w))));
refuse('FUNC: an unnamed argument', EINVAL, '[3] FUNC f type_id=2 Invalid arg#1', one((w) => w.func('f', w.proto(0, [['', INT(w)]]))));
refuse('FUNC_PROTO: returning a VAR', EINVAL, '[3] FUNC_PROTO (anon) return=2 args=(void) Invalid return type', one((w) => w.proto(w.variable('v', INT(w)), [])));
refuse('FUNC_PROTO: a void argument before the last', EINVAL, '[2] FUNC_PROTO (anon) return=0 args=(0 a, 1 b) Invalid arg#1', one((w) => { const i = INT(w); w.proto(0, [['a', 0], ['b', i]]); }));
refuse('FUNC_PROTO: a named vararg', EINVAL, '[2] FUNC_PROTO (anon) return=0 args=(1 a, vararg) Invalid arg#2', one((w) => w.proto(0, [['a', INT(w)], ['b', 0]])));
refuse('FUNC_PROTO: an argument name that is no identifier', EINVAL, '[2] FUNC_PROTO (anon) return=0 args=(1 a b) Invalid arg#1', one((w) => w.proto(0, [['a b', INT(w)]])));
refuse('DECL_TAG: on an INT', EINVAL, '[2] DECL_TAG t type=1 component_idx=-1 Invalid type_id', one((w) => w.declTag('t', INT(w))));
refuse('DECL_TAG: a component of a VAR', EINVAL, '[3] DECL_TAG t type=2 component_idx=0 Invalid component_idx', one((w) => w.declTag('t', w.variable('v', INT(w)), 0)));
refuse('DECL_TAG: past the last member', EINVAL, '[3] DECL_TAG t type=2 component_idx=1 Invalid component_idx', one((w) => w.declTag('t', w.strct('s', 4, [['x', INT(w), 0]]), 1)));
// btf_check_type_tags
refuse('TYPE_TAG: after a CONST', EINVAL, "Type tags don't precede modifiers", one((w) => w.ptr(w.const_(w.typeTag('user', INT(w))))),
  (v) => !btfTypeTagsAnywhere(v));
// btf_parse_struct_metas (6.2+): nothing logged, so the reason is the last record's dump.
// (The bpf_res_spin_lock first: the other order reaches a WARN_ON_ONCE in btf_parse_fields on 6.18.)
refuse('a bpf_res_spin_lock and a bpf_spin_lock', EINVAL, 'NEGATIVE val=-5', one((w) => {
  w.strct('v', 8, [['a', resSpinLock(w), 0], ['b', spinLock(w), 32]]);
  w.enum64('e', 8, [['NEGATIVE', -5n]], true);
}), btfResSpinLock);
refuse('two bpf_spin_locks', E2BIG, 'b type_id=2 bits_offset=32', one((w) => {
  const l = spinLock(w);
  w.strct('v', 8, [['a', l, 0], ['b', l, 32]]);
}), btfStructMetas);
refuse('a bpf_list_head without a lock', EINVAL, '[11] DECL_TAG contains:elem:node type=10 component_idx=0', one((w) => {
  const node = opaque(w, 'bpf_list_node', 3);
  w.strct('elem', 24, [['node', node, 0]]);
  const g = w.strct('g', 16, [['head', opaque(w, 'bpf_list_head', 2), 0]]);
  w.declTag('contains:elem:node', g, 0);
}), btfStructMetas);
refuse('a bpf_list_head of a missing struct', ENOENT, undefined, one((w) => {
  const lock = spinLock(w);
  const g = w.strct('g', 24, [['lock', lock, 0], ['head', opaque(w, 'bpf_list_head', 2), 64]]);
  w.declTag('contains:nothing:node', g, 1);
}), btfStructMetas);
refuse('a kptr with an unknown tag', EINVAL, undefined, one((w) => {
  const obj = w.strct('obj', 8, []);
  w.strct('holder', 16, [['lock', spinLock(w), 0], ['p', w.ptr(w.typeTag('kptr_or_not', obj)), 64]]);
}), (v) => btfStructMetas(v) && !btfKptrTagWalk(v));
refuse('a kptr with two kptr tags', EINVAL, 'p type_id=6 bits_offset=64', one((w) => {
  const obj = w.strct('obj', 8, []);
  w.strct('holder', 16, [['lock', spinLock(w), 0], ['p', w.ptr(w.typeTag('kptr', w.typeTag('percpu_kptr', obj))), 64]]);
}), btfStructMetas);
refuse('a referenced kptr to a kernel struct without a destructor', ENOENT, 'p type_id=5 bits_offset=64', one((w) => {
  const inode = w.strct('inode', 8, []);
  w.strct('holder', 16, [['lock', spinLock(w), 0], ['p', w.ptr(w.typeTag('kptr', inode)), 64]]);
}), btfStructMetas);
cases.push({
  name: 'nested bpf_res_spin_locks and a bpf_spin_lock (unique per struct, or per record: btfStructMetasStrict)',
  blob: one((w) => {
    const res = resSpinLock(w), lock = spinLock(w);
    const inner = w.strct('inner', 4, [['l', res, 0]]);
    w.strct('outer', 12, [['i', inner, 0], ['l', res, 32], ['s', lock, 64]]);
  }),
  expect: (v) => (!btfResSpinLock(v) ? undefined : { errno: btfStructMetasStrict(v) ? E2BIG : EINVAL, reason: 's type_id=4 bits_offset=64' }),
});
refuse('a graph root and node owning a graph root (ownership depth: btfOwnershipDepth)', ELOOP, '[18] DECL_TAG contains:B:node type=17 component_idx=1', one((w) => {
  const lock = spinLock(w);
  const node = opaque(w, 'bpf_list_node', 3), head = opaque(w, 'bpf_list_head', 2);
  w.strct('C', 32, [['data', w.int('long', 8, true), 0], ['node', node, 64]]);
  const d = w.strct('D', 48, [['lock', lock, 0], ['head', head, 64], ['node', node, 192]]);
  w.declTag('contains:C:node', d, 1);
  const b = w.strct('B', 48, [['lock', lock, 0], ['head', head, 64], ['node', node, 192]]);
  w.declTag('contains:D:node', b, 1);
  const a = w.strct('A', 24, [['lock', lock, 0], ['head', head, 64]]);
  w.declTag('contains:B:node', a, 1);
}), (v) => btfStructMetas(v) && !btfOwnershipDepth(v));
refuse('a graph root and node owning itself', ELOOP, '[12] DECL_TAG contains:B:node type=11 component_idx=1', one((w) => {
  const lock = spinLock(w);
  const node = opaque(w, 'bpf_list_node', 3), head = opaque(w, 'bpf_list_head', 2);
  const b = w.strct('B', 48, [['lock', lock, 0], ['head', head, 64], ['node', node, 192]]);
  w.declTag('contains:B:node', b, 1);
}), btfStructMetas);

export const btfCases = cases;
