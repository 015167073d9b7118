// bpfkit's public API: what users import. Internal modules are not re-exported.
export {
  u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, be64, bool, bytes, array, struct, spinLock, resSpinLock,
  lockFields, encodeToBytes, decodeFromBytes, type LockCodec, type StructOptions, type StructValue,
} from './codec/codec.js';
export type { Codec, CodecDesc, Infer, StructField } from './codec/types.js';
export {
  MapType, KernelMapType, MapFlags, UpdateFlags, TestRunFlags, mapTypeByName, keylessMapTypeByName, type MapTypeId, type MapTypeName, type KeylessMapTypeId,
  type KeylessMapTypeName,
} from './uapi/bpf.js';
export type { Engine, MapHandle, MapInfo, MapAttrs, LockField } from './seam/engine.js';
export { resolveEngine, engineStatus, type EngineOption, type EngineStatus } from './engine-select.js';
export { BpfError, BpfRunOutputError, BpfVerifierError, isBpfError, type RunReport } from './errors/errors.js';
export { errnoByCode, type ErrnoCode } from './uapi/errno.js';
export { lpmKey, type LpmKey } from './codec/lpm-key.js';
export { BpfMap, PerCpuMap, LpmTrieMap, type BatchCursor, type BatchOptions, type BatchResult, type LockOption } from './map/map.js';
export { BpfMapBase } from './map/base.js';
export { QueueMap, type PushOptions } from './map/queue.js';
export { RingBuffer, type RingbufRecord, type RingbufPollOptions } from './map/ringbuf.js';
export { BloomFilterMap } from './map/bloom.js';
export { ProgramArrayMap, type SlotProgram } from './map/prog-array.js';
export { MapOfMaps } from './map/map-of-maps.js';
export {
  createMap, openMap, openPinned, type CreateMapOptions, type OpenMapOptions, type CreateKeylessMapOptions, type CreateQueueMapOptions,
  type CreateBloomFilterOptions, type CreateProgramArrayOptions, type CreateMapOfMapsOptions, type CreateRingbufOptions, type QueueMapType, type BloomFilterMapType, type LpmTrieMapType,
  type OpenKeylessMapOptions,
} from './map/open.js';
export { Emulator, type EmulatorOptions, type EmulatorShare, type EmulatorCoverage, type ProgramCoverage } from './emulator/index.js';
export { formatLcov, parseLcov, mergeCoverage, type FileCoverage, type LineCount, type FunctionCount, type BranchCount } from './coverage/lcov.js';
export { possibleCpus } from './possible-cpus.js';
export { openObject, BpfObject, type OpenObjectOptions, type ObjectMapInfo, type ObjectProgramInfo } from './object/object.js';
export { loadProgram, BpfProgram, type LoadProgramOptions, type RunOptions, type RunResult } from './object/program.js';
export { AttachType, ProgramType, programTypeName, type KernelProgramTypeName } from './uapi/program-type.js';
export type { ProgramTypeName } from './elf/sections.js';
export { ProgFlags } from './uapi/prog-flags.js';
export type { SourceLine, VerifierStats } from './errors/verifier-log.js';
export { features } from './kernel/features.js';
export { decodeBtf, BtfKind, type BtfType } from './btf/decode.js';
export { packet } from './packet/index.js';
export type {
  EthernetFields, EthernetHeader, Vlan, Ipv4Fields, Ipv4Header, Ipv4Option, Ipv6Fields, Ipv6Header, Ipv6Extension, ParsedIpv6Extension,
  Ipv6TlvOption, TcpFields, TcpHeader, TcpFlag, TcpOption, UdpFields, UdpHeader, IcmpFields, IcmpHeader, LayerName, ParsedPacket, ParseOptions,
  EthernetStage, Ipv4Stage, Ipv6Stage, PacketBuilder, PayloadStage,
} from './packet/index.js';
