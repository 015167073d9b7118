// The BPF_MAP_TYPE_RINGBUF helpers (kernel/bpf/ringbuf.c): bpf_ringbuf_output (#130), _reserve (#131),
// _submit (#132), _discard (#133), _query (#134), and the dynptr variants _reserve_dynptr (#198),
// _submit_dynptr (#199), _discard_dynptr (#200), over maps/ringbuf.ts. A reservation is a run region over the
// ring's own bytes, so the program writes the record in place; submit and discard find the record again by
// that region (the verifier lets only the reservation's own pointer, at offset 0, reach them), and a ring
// buffer dynptr holds that pointer as its data (dynptr.ts reads and writes through it).
import { errnoByCode } from '../../uapi/errno.js';
import { HelperId } from '../../uapi/helpers.js';
import type { ProgramMap } from '../maps/program-map.js';
import { RingbufTable } from '../maps/ringbuf.js';
import type { Vm } from './interpreter.js';
import { ProgramFault, regionTag, type ByteRegion } from './memory.js';
import { DYNPTR_MAX_SIZE, DynptrType, readDynptr, writeDynptr } from './dynptr.js';

/** A reservation: a region over the ring's data at the sample's offset. */
interface RecordRegion extends ByteRegion {
  readonly ring: RingbufTable;
  readonly sample: number;
}

/** Reservation regions by ring, offset and size: a region is a pure function of the three (as helpers.ts valueRegion). */
const recordRegions = new WeakMap<RingbufTable, Map<number, RecordRegion>>();
const MAX_CACHED_RECORD_REGIONS = 4096;

function recordRegion(map: ProgramMap, ring: RingbufTable, sample: number, size: number): RecordRegion {
  let bySample = recordRegions.get(ring);
  if (bySample === undefined) recordRegions.set(ring, (bySample = new Map()));
  const key = sample * 2 ** 21 + size; // size ≤ the ring's, sample < twice it: distinct for rings below 2^31 bytes
  let region = bySample.get(key);
  if (region === undefined) {
    if (bySample.size >= MAX_CACHED_RECORD_REGIONS) bySample.clear();
    region = { name: `ringbuf '${map.info.name}' record`, size, writable: true, bytes: () => ring.values, base: () => sample, ring, sample };
    bySample.set(key, region);
  }
  return region;
}

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
/** ringbuf.c RINGBUF_MAX_RECORD_SZ: a larger size is never reserved, whatever its high bits. */
const MAX_RECORD = BigInt(Math.floor(0xffffffff / 4));

function ringOf(vm: Vm): { map: ProgramMap; ring: RingbufTable } {
  const map = vm.memory.handleOf(vm.tags[1]!, vm.regs[1]!) as ProgramMap;
  if (!(map.table instanceof RingbufTable)) throw new ProgramFault(`map '${map.info.name}' is not a ring buffer`);
  return { map, ring: map.table };
}

/** The reservation `ptr` (tagged `tag`) points to the start of: committing it, for submit and discard. */
function recordOf(vm: Vm, tag: number, ptr: bigint, helper: string): { commit(discard: boolean, flags: bigint): void } {
  const at = vm.memory.regionOf(tag, ptr);
  const region = at?.region as RecordRegion | undefined;
  if (region?.ring === undefined || at!.offset !== 0) throw new ProgramFault(`${helper} of a pointer that is no reservation`);
  return { commit: (discard, flags) => region.ring.commit(region.sample, flags, discard) };
}

export function callRingbufHelper(id: number, vm: Vm): bigint {
  const r = vm.regs;
  const t = vm.tags;
  switch (id) {
    case HelperId.RingbufOutput: {
      // BPF_CALL_4(bpf_ringbuf_output, map, data, u64 size, u64 flags): flags first, then the reservation.
      const { ring } = ringOf(vm);
      const size = r[3]!;
      if ((r[4]! & ~3n) !== 0n) return u64(-errnoByCode.EINVAL);
      if (size > MAX_RECORD) return u64(-errnoByCode.EAGAIN);
      return u64(ring.output(vm.memory.read(t[2]!, r[2]!, Number(size)), r[4]!));
    }
    case HelperId.RingbufReserve: {
      // BPF_CALL_3(bpf_ringbuf_reserve, map, u64 size, u64 flags): any flag is NULL.
      const { map, ring } = ringOf(vm);
      if (r[3]! !== 0n || r[2]! > MAX_RECORD) return 0n;
      const size = Number(r[2]!);
      const sample = ring.reserve(size);
      if (sample < 0) return 0n;
      const ptr = BigInt(vm.memory.addRunRegion(recordRegion(map, ring, sample, size))) << 32n;
      vm.r0Tag = regionTag(ptr);
      return ptr;
    }
    case HelperId.RingbufSubmit:
    case HelperId.RingbufDiscard:
      recordOf(vm, t[1]!, r[1]!, id === HelperId.RingbufSubmit ? 'bpf_ringbuf_submit' : 'bpf_ringbuf_discard').commit(id === HelperId.RingbufDiscard, r[2]!);
      return 0n;
    case HelperId.RingbufQuery:
      return ringOf(vm).ring.query(r[2]!);
    case HelperId.RingbufReserveDynptr: {
      // BPF_CALL_4(bpf_ringbuf_reserve_dynptr, map, u32 size, u64 flags, ptr): a NULL dynptr and EINVAL for
      // flags or no room, E2BIG past DYNPTR_MAX_SIZE (bpf_dynptr_check_size).
      const { map, ring } = ringOf(vm);
      const size = Number(r[2]! & 0xffffffffn);
      const fail = (errno: number): bigint => {
        writeDynptr(vm, 4, null);
        return u64(-errno);
      };
      if (r[3]! !== 0n) return fail(errnoByCode.EINVAL);
      if (size > DYNPTR_MAX_SIZE) return fail(errnoByCode.E2BIG);
      const sample = ring.reserve(size);
      if (sample < 0) return fail(errnoByCode.EINVAL);
      const data = BigInt(vm.memory.addRunRegion(recordRegion(map, ring, sample, size))) << 32n;
      writeDynptr(vm, 4, { data, type: DynptrType.Ringbuf, size, offset: 0, rdonly: false });
      return 0n;
    }
    case HelperId.RingbufSubmitDynptr:
    case HelperId.RingbufDiscardDynptr: {
      // A NULL dynptr (a failed reservation) commits nothing; a committed one becomes NULL.
      const p = readDynptr(vm, 1);
      if (p.data === 0n) return 0n;
      recordOf(vm, regionTag(p.data), p.data, id === HelperId.RingbufSubmitDynptr ? 'bpf_ringbuf_submit_dynptr' : 'bpf_ringbuf_discard_dynptr')
        .commit(id === HelperId.RingbufDiscardDynptr, r[2]!);
      writeDynptr(vm, 1, null);
      return 0n;
    }
    default:
      throw new ProgramFault(`helper #${id} is no ring buffer helper`);
  }
}
