// kernel/bpf/verifier.c convert_ctx_accesses on a narrow context load (one narrower than the field's
// ctx_field_size): the load is widened to the whole field, convert_ctx_access loads the kernel member behind
// it (target_size bytes), and the result is shifted and masked only when the load is narrower than that
// member. So a load as wide as a u16 member returns all of it wherever in the 4-byte field it points.
// And what a context access the verifier refuses does if a program reaches one anyway: a fault.
import { ProgramFault } from './memory.js';

/** What a `size`-byte load `offInField` bytes into a field returns, its kernel member holding `member`. */
export function narrowCtxLoad(member: bigint, memberSize: number, offInField: number, size: number): bigint {
  if (size >= memberSize) return member;
  // bpf_ctx_narrow_access_offset on a little-endian host: the offset itself.
  return (member >> BigInt(offInField * 8)) & ((1n << BigInt(size * 8)) - 1n);
}

/** A context access the verifier would have refused (a load or store no field answers). */
export function ctxFault(off: number, how: 'read' | 'written' = 'read'): never {
  throw new ProgramFault(`context field at offset ${off} cannot be ${how} (the verifier refuses this access)`);
}
