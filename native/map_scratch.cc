// NativeMap.openScratch(): the typed layer's element calls without buffers crossing per call. The addon
// allocates a key, a value and a next-key buffer once, hands JS Uint8Arrays over that memory, and each call
// (lookup(flags), update(flags), ...) is one syscall on it: no typed-array checks per call, which were most
// of the cost between a bare N-API call and a bpfkit lookup (bench/maps measures both).
//
// Ownership: the memory belongs to a ScratchState that is freed only when the last JS value using it (the
// ArrayBuffer's backing store and each bound method) is gone, and that holds its map's state alive. So
// detaching or transferring the ArrayBuffer cannot leave the addon writing to freed memory: the backing
// store keeps the state alive wherever it went, and the bound methods keep writing to memory they own.
// bpfkit never hands these buffers out (BpfMap keeps them private).
#include <bpf/bpf.h>
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "args.h"
#include "errno.h"
#include "map.h"

namespace {

struct ScratchState {
  static constexpr uint64_t kMagic = 0x7263736d74696b62ull;  // "bkitmscr"
  uint64_t magic = kMagic;
  MapState* map;
  std::unique_ptr<uint8_t[]> memory;
  uint8_t* key;
  uint8_t* value;
  uint8_t* next;
  uint32_t refs = 0;
};

void Unref(ScratchState* s) {
  if (--s->refs == 0) {
    MapState::Unref(s->map);
    delete s;
  }
}

// napi_add_finalizer's callback: `data` is the state.
void Release(napi_env, void* data, void*) { Unref(static_cast<ScratchState*>(data)); }

// The external ArrayBuffer's: `data` is the memory itself, the state comes as the hint.
void ReleaseMemory(napi_env, void*, void* hint) { Unref(static_cast<ScratchState*>(hint)); }

// The scratch state of a bound method, its one argument in `arg` (undefined when missing); nullptr with a
// TypeError pending when the map is closed.
ScratchState* Bound(napi_env env, napi_callback_info cbinfo, napi_value* arg) {
  size_t argc = 1;
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, arg, nullptr, &data) != napi_ok) return nullptr;
  ScratchState* s = static_cast<ScratchState*>(data);
  if (s == nullptr || s->magic != ScratchState::kMagic) return args::ThrowType(env, "not a map scratch method"), nullptr;
  if (s->map->closed) return args::ThrowType(env, "map is closed"), nullptr;
  return s;
}

// Bound() for the methods taking u32 flags: one napi call checks them (an integer number in u32 range, args.h).
ScratchState* BoundWithFlags(napi_env env, napi_callback_info cbinfo, uint32_t* flags) {
  napi_value arg;
  ScratchState* s = Bound(env, cbinfo, &arg);
  return s && args::U32(env, arg, "flags", flags) ? s : nullptr;
}

napi_value Int(napi_env env, int n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

napi_value Lookup(napi_env env, napi_callback_info cbinfo) {
  uint32_t flags;
  ScratchState* s = BoundWithFlags(env, cbinfo, &flags);
  return s ? Int(env, Rc(bpf_map_lookup_elem_flags(s->map->fd, KeyArg(s->map, s->key), s->value, flags))) : nullptr;
}

napi_value Update(napi_env env, napi_callback_info cbinfo) {
  uint32_t flags;
  ScratchState* s = BoundWithFlags(env, cbinfo, &flags);
  return s ? Int(env, Rc(bpf_map_update_elem(s->map->fd, KeyArg(s->map, s->key), s->value, flags))) : nullptr;
}

napi_value LookupAndDelete(napi_env env, napi_callback_info cbinfo) {
  uint32_t flags;
  ScratchState* s = BoundWithFlags(env, cbinfo, &flags);
  return s ? Int(env, Rc(bpf_map_lookup_and_delete_elem_flags(s->map->fd, KeyArg(s->map, s->key), s->value, flags))) : nullptr;
}

napi_value Delete(napi_env env, napi_callback_info cbinfo) {
  napi_value unused;
  ScratchState* s = Bound(env, cbinfo, &unused);
  return s ? Int(env, Rc(bpf_map_delete_elem(s->map->fd, KeyArg(s->map, s->key)))) : nullptr;
}

// getNextKey(fromKey): the key after the scratch key into the next buffer; fromKey false starts at the first.
napi_value GetNextKey(napi_env env, napi_callback_info cbinfo) {
  napi_value arg;
  ScratchState* s = Bound(env, cbinfo, &arg);
  bool fromKey;
  if (!s) return nullptr;
  if (napi_get_value_bool(env, arg, &fromKey) != napi_ok) return args::ThrowType(env, "fromKey must be a boolean"), nullptr;
  return Int(env, Rc(bpf_map_get_next_key(s->map->fd, fromKey ? KeyArg(s->map, s->key) : nullptr, s->next)));
}

// Holds `s` alive for as long as `value` lives.
bool Retain(napi_env env, napi_value value, ScratchState* s) {
  if (napi_add_finalizer(env, value, s, Release, nullptr, nullptr) != napi_ok) return false;
  s->refs++;
  return true;
}

bool View(napi_env env, napi_value buffer, size_t offset, size_t length, napi_value obj, const char* name) {
  napi_value view;
  return napi_create_typedarray(env, napi_uint8_array, length, buffer, offset, &view) == napi_ok &&
         napi_set_named_property(env, obj, name, view) == napi_ok;
}

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace

// { key, value, next: Uint8Array; lookup(flags), update(flags), lookupAndDelete(flags), delete(),
//   getNextKey(fromKey) } for map `m`; each call is -errno or 0, as the other element methods.
napi_value OpenScratch(napi_env env, MapState* m) {
  const size_t keyAt = 0, valueAt = Align8(m->keySize), nextAt = valueAt + Align8(m->valueBufSize);
  const size_t size = nextAt + m->keySize;
  ScratchState* s = new ScratchState();
  s->map = m;
  m->refs++;
  s->memory.reset(new uint8_t[size]());
  s->key = s->memory.get() + keyAt;
  s->value = s->memory.get() + valueAt;
  s->next = s->memory.get() + nextAt;
  s->refs = 1;  // held by this function until the JS values are built

  napi_value obj, buffer;
  bool ok = napi_create_object(env, &obj) == napi_ok;
  // The backing store's finalizer is one more reference: the memory outlives any ArrayBuffer over it.
  if (ok && napi_create_external_arraybuffer(env, s->memory.get(), size, ReleaseMemory, s, &buffer) == napi_ok) {
    s->refs++;
  } else {
    ok = false;
  }
  ok = ok && View(env, buffer, keyAt, m->keySize, obj, "key") && View(env, buffer, valueAt, m->valueBufSize, obj, "value") &&
       View(env, buffer, nextAt, m->keySize, obj, "next");
  static const struct {
    const char* name;
    napi_callback cb;
  } methods[] = {
      {"lookup", Lookup}, {"update", Update}, {"lookupAndDelete", LookupAndDelete}, {"delete", Delete}, {"getNextKey", GetNextKey},
  };
  for (const auto& method : methods) {
    napi_value fn;
    ok = ok && napi_create_function(env, method.name, NAPI_AUTO_LENGTH, method.cb, s, &fn) == napi_ok && Retain(env, fn, s) &&
         napi_set_named_property(env, obj, method.name, fn) == napi_ok;
  }
  Unref(s);
  if (!ok) {
    // External buffers may be refused (a runtime without them): the caller falls back to the checked calls.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return Int(env, -ENOTSUP);
  }
  return obj;
}
