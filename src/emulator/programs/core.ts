// CO-RE relocations (.BTF.ext core_relo) resolved against the emulator's own types, as libbpf's
// src/relo_core.c resolves them against the kernel's BTF: bpf_core_parse_spec walks the local access
// string ("0:2:1": root index, member, array index ...), the target is the type of the same essential name
// (the part before "___") in the emulator's table (contexts.ts ctxStructs: the uapi context structs), and
// bpf_core_patch_insn writes the result into the instruction. What cannot be resolved is libbpf's
// behaviour too: existence checks answer 0 and anything else poisons the instruction into
// `call 0xbad2310` (bpf_core_poison_insn), which the verifier (and the emulator) report as
// "invalid func unknown#195896080" if the program can reach it.
import { BtfKind, type Btf, type BtfArray, type BtfComposite, type BtfEnum, type BtfInt, type BtfTypeInfo } from '../../btf/types.js';
import { helperNames } from '../../uapi/helpers.js';
import { helperIdLimit } from '../kernel-version.js';
import { ctxStructs, type CtxMember, type CtxStruct } from './contexts.js';
import { Class, LD_IMM64, Size } from '../../uapi/isa.js';
import type { ParsedProgram } from '../../elf/spec.js';
import type { Insn } from '../../uapi/isa.js';

/** include/uapi/linux/bpf.h enum bpf_core_relo_kind */
export const CoreReloKind = {
  FieldByteOffset: 0, FieldByteSize: 1, FieldExists: 2, FieldSigned: 3, FieldLshiftU64: 4, FieldRshiftU64: 5,
  TypeIdLocal: 6, TypeIdTarget: 7, TypeExists: 8, TypeSize: 9, EnumvalExists: 10, EnumvalValue: 11, TypeMatches: 12,
} as const;

/** relo_core.c bpf_core_poison_insn: 0xbad2310, "bad relo". */
export const CORE_POISON_HELPER = 195896080;

/** relo_core.c core_relo_kind_str, by enum bpf_core_relo_kind. */
const kindStr = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id', 'target_type_id',
  'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

/**
 * Poisoned instructions and the relocation behind each, for the message libbpf puts in the verifier log
 * when a program reaches one (libbpf.c fixup_log_failed_core_relo): keyed by the instruction object.
 */
/**
 * The ids of the context structs in the emulator's stand-in for vmlinux BTF (a TYPE_ID_TARGET relocation's
 * answer, which bpf_rdonly_cast takes): their places in ctxStructs, from 1. The kernel's ids are its own.
 */
export const kernelStructIds: ReadonlyMap<string, number> = new Map(Object.keys(ctxStructs).map((name, i) => [name, i + 1]));

/**
 * The kernel enums the emulator knows, by enumerator, for a kernel `version`: enum bpf_func_id (uapi
 * helpers.ts), as long as that kernel's helper table (kernel-version.ts helperIdLimit), with its
 * __BPF_FUNC_MAX_ID. A program asks `bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)` to pick
 * a path the kernel it runs on has.
 */
function kernelEnum(name: string, version: string): ReadonlyMap<string, bigint> | undefined {
  if (name !== 'bpf_func_id') return undefined;
  const limit = helperIdLimit(version);
  const values = new Map<string, bigint>(helperNames.slice(0, limit).map((n, i) => [`BPF_FUNC_${n}`, BigInt(i)]));
  values.set('__BPF_FUNC_MAX_ID', BigInt(limit));
  return values;
}

/** A poisoned instruction's relocation spec, and the local type's name when the emulator has no such type. */
const poisoned = new WeakMap<Insn, { spec: string; unknownType?: string }>();

/**
 * libbpf fixup_log_failed_core_relo: the verifier's "invalid func unknown#195896080" for a poisoned CO-RE
 * `insn` becomes "failed to resolve CO-RE relocation <spec>"; undefined for any other call.
 */
export function poisonedCoreReloReason(insn: Insn): string | undefined {
  const p = insn.imm === CORE_POISON_HELPER ? poisoned.get(insn) : undefined;
  return p === undefined || p.unknownType !== undefined ? undefined : `failed to resolve CO-RE relocation ${p.spec}`;
}

/**
 * A poisoned CO-RE `insn` whose type the emulator does not have at all (it knows the context structs only):
 * the kernel resolves it against its own BTF, so the program may well load there — the emulator cannot
 * say, and cannot run it (ENOTSUPP, not a verdict).
 */
export function unknownCoreType(insn: Insn): string | undefined {
  return insn.imm === CORE_POISON_HELPER ? poisoned.get(insn)?.unknownType : undefined;
}

/** A type as bpf_core_format_spec names it: "struct task_struct". */
function typeName(btf: Btf, typeId: number): string {
  const t = btf.type(typeId);
  const kind = ({ [BtfKind.Struct]: 'struct', [BtfKind.Union]: 'union', [BtfKind.Enum]: 'enum', [BtfKind.Typedef]: 'typedef', [BtfKind.Int]: 'int' } as Record<number, string>)[t.kind] ?? 'type';
  return `${kind} ${'name' in t && t.name ? t.name : '<anon>'}`;
}

/** relo_core.c bpf_core_format_spec, of the local side. */
function formatSpec(btf: Btf, relo: { typeId: number; accessStr: string; kind: number }): string {
  let out = `<${kindStr[relo.kind] ?? relo.kind}> [${relo.typeId}] ${typeName(btf, relo.typeId)}`;
  if (relo.kind > CoreReloKind.FieldRshiftU64) return out;
  const access = relo.accessStr.split(':').map(Number);
  let t = skipMods(btf, relo.typeId);
  let typeId = relo.typeId;
  let bitOffset = access[0]! * btf.sizeOf(relo.typeId) * 8;
  if (access[0]! > 0) out += `[${access[0]}]`;
  for (const idx of access.slice(1)) {
    if (t.kind === BtfKind.Struct || t.kind === BtfKind.Union) {
      const m = (t as BtfComposite).members[idx]!;
      out += m.name ? `.${m.name}` : `[${idx}]`;
      bitOffset += m.bitOffset;
      typeId = m.type;
    } else {
      out += `[${idx}]`;
      typeId = (t as BtfArray).type;
      bitOffset += idx * btf.sizeOf(typeId) * 8;
    }
    t = skipMods(btf, typeId);
  }
  // A bitfield's offset is "bytes.bits".
  const at = bitOffset % 8 === 0 ? `${bitOffset / 8}` : `${Math.floor(bitOffset / 8)}.${bitOffset % 8}`;
  return `${out} (${relo.accessStr} @ offset ${at})`;
}

/** What an access resolves to: a field (offset, size, signedness) or nothing in the target. */
interface FieldSpec {
  offset: number;
  /** The field's type's size (a bitfield's: its underlying integer's). */
  size: number;
  signed: boolean;
  /** A bitfield's offset and width in bits (from the root); absent for whole-byte fields. */
  bits?: { offset: number; size: number };
}

/**
 * libbpf relo_core.c bpf_core_calc_field_relo for a field: the value a relocation of `kind` takes, or
 * undefined when the bitfield cannot be loaded in 8 bytes (libbpf: E2BIG). Little-endian only.
 */
function fieldReloValue(kind: number, f: FieldSpec): number | undefined {
  let byteSize = f.size;
  let byteOffset = f.offset;
  let bitOffset = f.offset * 8;
  let bitSize = f.size * 8;
  if (f.bits) {
    ({ offset: bitOffset, size: bitSize } = f.bits);
    // The smallest aligned load that holds the whole bitfield.
    byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    while (bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) return undefined;
      byteSize *= 2;
      byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    }
  }
  switch (kind) {
    case CoreReloKind.FieldByteOffset: return byteOffset;
    case CoreReloKind.FieldByteSize: return byteSize;
    case CoreReloKind.FieldSigned: return Number(f.signed);
    case CoreReloKind.FieldLshiftU64: return 64 - (bitOffset + bitSize - byteOffset * 8);
    case CoreReloKind.FieldRshiftU64: return 64 - bitSize;
    default: return 1; // FieldExists
  }
}

/** libbpf bpf_core_essential_name_len: "task_struct___v2" is a flavor of "task_struct". */
function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i < 0 ? name : name.slice(0, i);
}

function skipMods(btf: Btf, id: number): BtfTypeInfo {
  return btf.resolve(id);
}

/** The local side of a field access: byte offset and size in the object's own BTF. */
function localField(btf: Btf, root: BtfTypeInfo, rootId: number, access: number[]): FieldSpec | string {
  let bitOffset = access[0]! * btf.sizeOf(rootId) * 8;
  let bitfieldSize = 0;
  let t = root;
  let typeId = rootId;
  for (const idx of access.slice(1)) {
    if (bitfieldSize !== 0) return `access #${idx} into a bitfield`;
    if (t.kind === BtfKind.Struct || t.kind === BtfKind.Union) {
      const m = (t as BtfComposite).members[idx];
      if (!m) return `member #${idx} of '${t.name}' does not exist`;
      bitOffset += m.bitOffset;
      bitfieldSize = m.bitfieldSize;
      typeId = m.type;
    } else if (t.kind === BtfKind.Array) {
      const a = t as BtfArray;
      bitOffset += idx * btf.sizeOf(a.type) * 8;
      typeId = a.type;
    } else {
      return `access #${idx} into a ${t.kind === BtfKind.Int ? 'scalar' : 'non-composite'} type`;
    }
    t = skipMods(btf, typeId);
  }
  const signed = t.kind === BtfKind.Int && ((t as BtfInt).encoding & 1) !== 0;
  const field: FieldSpec = { offset: Math.floor(bitOffset / 8), size: btf.sizeOf(typeId), signed };
  if (bitfieldSize !== 0) field.bits = { offset: bitOffset, size: bitfieldSize };
  return field;
}

/** The target side: the same path by member names in the emulator's struct, or undefined if it is missing. */
function targetField(btf: Btf, root: BtfTypeInfo, target: CtxStruct, access: number[]): FieldSpec | undefined {
  let offset = access[0]! * target.size;
  let t = root;
  let struct: CtxStruct | undefined = target;
  let member: CtxMember | undefined;
  for (const idx of access.slice(1)) {
    if (t.kind === BtfKind.Struct || t.kind === BtfKind.Union) {
      const local = (t as BtfComposite).members[idx]!;
      // bpf_core_match_member: by name (the emulator's structs have no anonymous members to descend).
      member = struct?.members.find((m) => m.name === local.name);
      if (!member || member.kind === 'ptr') return undefined;
      offset += member.offset;
      struct = undefined;
      t = skipMods(btf, local.type);
    } else if (t.kind === BtfKind.Array) {
      if (!member?.elem || idx >= member.elem.count) return undefined;
      offset += idx * member.elem.size;
      member = { name: `${member.name}[${idx}]`, offset, size: member.elem.size, kind: 'int' };
      t = skipMods(btf, (t as BtfArray).type);
    } else {
      return undefined;
    }
  }
  if (!member) return { offset, size: target.size, signed: false };
  return { offset, size: member.size, signed: member.signed ?? false };
}

/** Resolves and patches every CO-RE relocation of a program in place; returns a reason on malformed input. */
export function applyCoreRelocs(insns: Insn[], relocs: NonNullable<ParsedProgram['coreRelocs']>, btf: Btf, kernelVersion: string): string | undefined {
  for (const relo of relocs) {
    const insn = insns[relo.insn];
    if (!insn) return `CO-RE relocation at insn ${relo.insn} is outside the program`;
    const local = skipMods(btf, relo.typeId);
    const isEnum = local.kind === BtfKind.Enum || local.kind === BtfKind.Enum64;
    const targetEnum = isEnum ? kernelEnum(essentialName(local.name), kernelVersion) : undefined;
    const target = 'name' in local && !isEnum ? ctxStructs[essentialName(local.name)] : undefined;
    const known = target !== undefined && (local.kind === BtfKind.Struct || local.kind === BtfKind.Union);
    let value: number | undefined; // undefined: poison
    let orig: FieldSpec | undefined;
    let found: FieldSpec | undefined;
    if (relo.kind <= CoreReloKind.FieldRshiftU64) {
      const access = relo.accessStr.split(':').map(Number);
      if (access.some((n) => !Number.isInteger(n) || n < 0)) return `CO-RE relocation at insn ${relo.insn}: bad access string '${relo.accessStr}'`;
      const l = localField(btf, local, relo.typeId, access);
      if (typeof l === 'string') return `CO-RE relocation at insn ${relo.insn}: ${l}`;
      orig = l;
      found = known ? targetField(btf, local, target!, access) : undefined;
      // bpf_core_calc_field_relo: a field the target lacks exists 0 times; its other relocations poison.
      value = found ? fieldReloValue(relo.kind, found) : relo.kind === CoreReloKind.FieldExists ? 0 : undefined;
    } else {
      // bpf_core_calc_type_relo / bpf_core_calc_enumval_relo, against the context structs and the kernel
      // enums the emulator knows (an enumerator matched by its essential name).
      const enumerator = isEnum ? (local as BtfEnum).values[Number(relo.accessStr)] : undefined;
      const enumValue = enumerator && targetEnum?.get(essentialName(enumerator.name));
      switch (relo.kind) {
        case CoreReloKind.TypeIdLocal: value = relo.typeId; break;
        case CoreReloKind.TypeExists: case CoreReloKind.TypeMatches: value = known || targetEnum ? 1 : 0; break;
        case CoreReloKind.TypeSize: value = known ? target!.size : targetEnum ? 4 : undefined; break;
        case CoreReloKind.EnumvalExists: value = enumValue === undefined ? 0 : 1; break;
        case CoreReloKind.EnumvalValue: value = enumValue === undefined ? undefined : Number(enumValue); break;
        case CoreReloKind.TypeIdTarget: value = known ? kernelStructIds.get(essentialName(local.name)) : undefined; break;
        default: value = undefined;
      }
    }
    const wide = insn.code === LD_IMM64;
    const failure = patchInsn(insns, relo.insn, value, orig, found);
    if (failure) return failure;
    if (value === undefined) {
      const spec = formatSpec(btf, relo);
      const poison = target === undefined && targetEnum === undefined ? { spec, unknownType: essentialName(typeName(btf, relo.typeId)) } : { spec };
      // Both halves of a poisoned ld_imm64 are calls now; a walk that meets either meets the poison.
      for (const i of wide ? [insn, insns[relo.insn + 1]!] : [insn]) poisoned.set(i, poison);
    }
  }
  return undefined;
}

/** relo_core.c bpf_core_patch_insn */
function patchInsn(insns: Insn[], at: number, value: number | undefined, orig: FieldSpec | undefined, found: FieldSpec | undefined): string | undefined {
  const insn = insns[at]!;
  const cls = insn.code & 0x07;
  const isLdImm64 = insn.code === LD_IMM64;
  if (value === undefined) {
    // bpf_core_poison_insn (both halves of an ld_imm64, so the verifier does not see "unknown opcode 00")
    const poison = (i: Insn): void => {
      Object.assign(i, { code: Class.Jmp | 0x80, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER });
    };
    if (isLdImm64 && insns[at + 1]) poison(insns[at + 1]!);
    poison(insn);
    return undefined;
  }
  if (cls === Class.Alu || cls === Class.Alu64) {
    if (insn.code & 0x08) return `CO-RE relocation at insn ${at}: ALU with a register operand`;
    insn.imm = value;
  } else if (cls === Class.Ldx || cls === Class.St || cls === Class.Stx) {
    insn.off = value;
    // A target field of another size: an LDX loads the target's size (libbpf: "adjust memory size").
    if (cls === Class.Ldx && orig && found && !orig.bits && !found.bits && found.size !== orig.size && [1, 2, 4, 8].includes(found.size)) {
      const sizeBits = found.size === 1 ? Size.B : found.size === 2 ? Size.H : found.size === 4 ? Size.W : Size.DW;
      insn.code = (insn.code & ~0x18) | sizeBits;
    }
  } else if (isLdImm64 && insns[at + 1]) {
    insn.imm = value;
    insns[at + 1]!.imm = 0;
  } else {
    return `CO-RE relocation at insn ${at}: instruction 0x${insn.code.toString(16)} cannot be relocated`;
  }
  return undefined;
}
