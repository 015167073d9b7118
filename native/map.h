// A kernel map fd as JS sees it: a plain object whose methods are bound to one MapState.
//
// Why not an ObjectWrap: napi_unwrap is a private-property lookup that cost ~330 ns per call here
// (measured: 1150 ns vs 815 ns for a 1-entry ARRAY lookup, whose syscall alone is ~650 ns). Each method is
// instead created with the MapState as its napi callback data, so a call reaches the state directly.
#pragma once
#include <node_api.h>
#include <cstdint>

struct MapState {
  // Guards against a state pointer that is not ours (it only ever comes from our own callback data).
  static constexpr uint64_t kMagic = 0x70616d74696b7062ull;  // "bpfkitmap"
  uint64_t magic = kMagic;
  int fd = -1;
  bool closed = false;
  uint32_t type = 0;
  uint32_t keySize = 0;
  uint32_t valueSize = 0;
  // value_size, or round_up(value_size, 8) * possible CPUs for per-CPU maps (the syscall copies one
  // 8-byte-aligned slot per possible CPU: kernel/bpf/hashtab.c bpf_percpu_hash_copy, arraymap.c
  // bpf_percpu_array_copy).
  uint64_t valueBufSize = 0;
  // Batch in/out token size: hash maps use a u32 bucket index (hashtab.c __htab_map_lookup_and_delete_batch),
  // the generic batch code uses a key (kernel/bpf/syscall.c generic_map_lookup_batch).
  uint32_t tokenSize = 0;
  // JS values holding this state as callback data (the map object and each of its methods). The fd is
  // closed by close() or when the last of them is garbage-collected, and the state is freed then.
  uint32_t refs = 0;

  void CloseFd();
  // Drops one of `refs`; the last one closes the fd (if still open) and frees the state.
  static void Unref(MapState* s);
};

// The key pointer a syscall on map `s` takes: NULL for a key_size 0 map (map.cc).
void* KeyArg(const MapState* s, void* key);

// map_scratch.cc: NativeMap.openScratch(), element calls on buffers the addon owns.
napi_value OpenScratch(napi_env env, MapState* s);
