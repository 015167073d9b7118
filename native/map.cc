// The map half of the addon: BPF_MAP_CREATE and the element, batch, pin and info commands. Thin by
// design: check argument types and sizes, call libbpf, return 0 or -errno. Kernel errors are never thrown.
// The one file on the raw N-API C API rather than node-addon-api: element calls are the hot path, and the
// measured cost of the wrapper (map.h) is a third of a lookup. The rest of the addon uses node-addon-api.
#include "map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "args.h"
#include "errno.h"
#include "init.h"

namespace {

bool IsPerCpuType(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

bool IsHashType(uint32_t type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int PossibleCpus() {
  // libbpf caches the parsed /sys/devices/system/cpu/possible after the first call.
  return libbpf_num_possible_cpus();
}


// Only fds that really are maps may be wrapped: a program fd answers BPF_OBJ_GET_INFO_BY_FD too, with a
// struct bpf_prog_info we would misread as map sizes. Maps are anon inodes named "bpf-map"
// (kernel/bpf/syscall.c bpf_map_new_fd).
bool IsMapFd(int fd) {
  char link[64];
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(proc.c_str(), link, sizeof link - 1);
  if (n < 0) return false;
  link[n] = '\0';
  return std::strcmp(link, "anon_inode:bpf-map") == 0;
}

}  // namespace

void MapState::Unref(MapState* s) {
  if (--s->refs == 0) {
    s->CloseFd();
    delete s;
  }
}

void MapState::CloseFd() {
  if (!closed) {
    closed = true;
    ::close(fd);
    fd = -1;
  }
}

namespace {

void Release(napi_env, void* data, void*) { MapState::Unref(static_cast<MapState*>(data)); }

// The map's state for a bound method, with up to N arguments (missing ones are undefined); nullptr with a
// TypeError pending when the map is closed.
template <size_t N>
MapState* Bound(napi_env env, napi_callback_info cbinfo, napi_value (&argv)[N], bool mustBeOpen = true) {
  size_t argc = N;
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
  MapState* s = static_cast<MapState*>(data);
  if (s == nullptr || s->magic != MapState::kMagic) return args::ThrowType(env, "not a NativeMap method"), nullptr;
  if (mustBeOpen && s->closed) return args::ThrowType(env, "map is closed"), nullptr;
  return s;
}

napi_value Int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

// BPF_F_CPU and BPF_F_ALL_CPUS (Linux 7.0+): with either, a per-CPU map's value buffer is one value_size value
// (kernel/bpf/syscall.c bpf_map_value_size). Older kernels refuse the flags; the buffer check lets them answer.
constexpr uint32_t kCpuFlags = 8 | 16;

// The low 32 bits of flags not yet checked (so possibly anything), as JavaScript's `flags & bits` reads them
// (ToInt32 for numbers, the low word for BigInts): which size to check a value against comes before the flags'
// own check, in the same order as the emulator's handle.
uint32_t LowFlags(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_number) {
    int32_t n = 0;
    napi_get_value_int32(env, v, &n);
    return static_cast<uint32_t>(n);
  }
  if (t == napi_bigint) {
    uint64_t n = 0;
    bool lossless;
    napi_get_value_bigint_uint64(env, v, &n, &lossless);
    return static_cast<uint32_t>(n);
  }
  return 0;
}

}  // namespace

// A map with key_size 0 (queue, stack, bloom filter) takes only a NULL key: any other pointer is EINVAL
// (kernel/bpf/syscall.c __bpf_copy_key). An empty Uint8Array's data pointer may be NULL or not (a subarray of
// a larger buffer has one), so a 0-byte key is passed as NULL whatever it points to.
void* KeyArg(const MapState* s, void* key) { return s->keySize == 0 ? nullptr : key; }

namespace {

// The (key, value, flags) arguments of lookup, update and lookupAndDelete, checked against the map. `cpuFlags`:
// the command takes the per-CPU flags, so a value_size buffer is allowed with them.
struct KeyValueFlags {
  args::Bytes key, value;
  uint64_t flags = 0;
  // The key as the kernel takes it: NULL for a key_size 0 map (see KeyArg).
  void* Key(const MapState* s) const { return KeyArg(s, key.data); }
  bool Read(napi_env env, const MapState* s, napi_value (&argv)[3], bool cpuFlags) {
    if (!s || !args::U8Exact(env, argv[0], "key", s->keySize, &key)) return false;
    if (cpuFlags && (LowFlags(env, argv[2]) & kCpuFlags) != 0 && s->valueBufSize != s->valueSize) {
      if (!args::U8(env, argv[1], "value", &value)) return false;
      if (value.length != s->valueBufSize && value.length != s->valueSize) {
        return args::ThrowRange(env, "value must be " + std::to_string(s->valueBufSize) + " bytes (or " + std::to_string(s->valueSize) +
                                         " with BPF_F_CPU or BPF_F_ALL_CPUS), got " + std::to_string(value.length));
      }
    } else if (!args::U8Exact(env, argv[1], "value", s->valueBufSize, &value)) {
      return false;
    }
    return args::Flags(env, argv[2], "flags", &flags);
  }
};

napi_value Lookup(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  MapState* s = Bound(env, cbinfo, argv);
  KeyValueFlags a;
  if (!a.Read(env, s, argv, true)) return nullptr;
  return Int(env, Rc(bpf_map_lookup_elem_flags(s->fd, a.Key(s), a.value.data, a.flags)));
}

napi_value Update(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  MapState* s = Bound(env, cbinfo, argv);
  KeyValueFlags a;
  if (!a.Read(env, s, argv, true)) return nullptr;
  return Int(env, Rc(bpf_map_update_elem(s->fd, a.Key(s), a.value.data, a.flags)));
}

napi_value Delete(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv);
  args::Bytes key;
  if (!s || !args::U8Exact(env, argv[0], "key", s->keySize, &key)) return nullptr;
  return Int(env, Rc(bpf_map_delete_elem(s->fd, KeyArg(s, key.data))));
}

napi_value GetNextKey(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  MapState* s = Bound(env, cbinfo, argv);
  args::Bytes key, next;
  if (!s) return nullptr;
  if (!args::IsNullish(env, argv[0]) && !args::U8Exact(env, argv[0], "key", s->keySize, &key)) return nullptr;
  if (!args::U8Exact(env, argv[1], "next", s->keySize, &next)) return nullptr;
  return Int(env, Rc(bpf_map_get_next_key(s->fd, KeyArg(s, key.data), next.data)));
}

napi_value LookupAndDelete(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  MapState* s = Bound(env, cbinfo, argv);
  KeyValueFlags a;
  if (!a.Read(env, s, argv, false)) return nullptr;
  return Int(env, Rc(bpf_map_lookup_and_delete_elem_flags(s->fd, a.Key(s), a.value.data, a.flags)));
}

// batch(op, inBatch|null, outBatch, keys, values, count: Uint32Array, elemFlags)
napi_value Batch(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[7];
  MapState* s = Bound(env, cbinfo, argv);
  if (!s) return nullptr;
  uint32_t op;
  uint64_t elemFlags;
  if (!args::U32(env, argv[0], "op", &op)) return nullptr;
  if (op > 3) return args::ThrowRange(env, "op must be 0 (lookup), 1 (lookupAndDelete), 2 (update) or 3 (delete), got " + std::to_string(op)), nullptr;
  const bool lookup = op == 0 || op == 1;
  // With a per-CPU flag a lookup or update batch's values are value_size each (bpf_map_value_size).
  const bool oneValue = (op == 0 || op == 2) && (LowFlags(env, argv[6]) & kCpuFlags) != 0;

  napi_typedarray_type ctype;
  size_t clen;
  void* cdata;
  if (napi_get_typedarray_info(env, argv[5], &ctype, &clen, &cdata, nullptr, nullptr) != napi_ok || ctype != napi_uint32_array) {
    return args::ThrowType(env, "count must be a Uint32Array"), nullptr;
  }
  if (clen < 1) return args::ThrowRange(env, "count must have at least one element"), nullptr;
  uint32_t* count = static_cast<uint32_t*>(cdata);
  const uint64_t n = count[0];

  args::Bytes in, out, keys, values;
  if (lookup) {
    if (!args::U8OrNull(env, argv[1], "inBatch", &in)) return nullptr;
    if (in.data != nullptr && in.length < s->tokenSize) {
      return args::ThrowRange(env, "inBatch must be at least " + std::to_string(s->tokenSize) + " bytes, got " + std::to_string(in.length)), nullptr;
    }
    if (!args::U8AtLeast(env, argv[2], "outBatch", s->tokenSize, &out)) return nullptr;
  } else if (!args::U8OrNull(env, argv[1], "inBatch", &in) || !args::U8OrNull(env, argv[2], "outBatch", &out)) {
    // update/delete take no tokens; still refuse values that are not buffers.
    return nullptr;
  }
  if (!args::U8AtLeast(env, argv[3], "keys", n * s->keySize, &keys)) return nullptr;
  if (op == 3) {
    if (!args::U8OrNull(env, argv[4], "values", &values)) return nullptr;
  } else if (!args::U8AtLeast(env, argv[4], "values", n * (oneValue ? s->valueSize : s->valueBufSize), &values)) {
    return nullptr;
  }
  if (!args::Flags(env, argv[6], "elemFlags", &elemFlags)) return nullptr;

  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elemFlags, .flags = 0);
  __u32 cnt = count[0];
  int rc = 0;
  switch (op) {
    case 0: rc = bpf_map_lookup_batch(s->fd, in.data, out.data, keys.data, values.data, &cnt, &opts); break;
    case 1: rc = bpf_map_lookup_and_delete_batch(s->fd, in.data, out.data, keys.data, values.data, &cnt, &opts); break;
    case 2: rc = bpf_map_update_batch(s->fd, keys.data, values.data, &cnt, &opts); break;
    case 3: rc = bpf_map_delete_batch(s->fd, keys.data, &cnt, &opts); break;
  }
  // libbpf copies the kernel's count back also on failure (bpf.c bpf_map_batch_common): hash lookups
  // end with ENOENT and a non-zero count, and failed updates report how many were applied.
  count[0] = cnt;
  return Int(env, Rc(rc));
}

napi_value OpenScratchJs(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv);
  return s ? OpenScratch(env, s) : nullptr;
}

napi_value Freeze(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv);
  if (!s) return nullptr;
  return Int(env, Rc(bpf_map_freeze(s->fd)));
}

napi_value Pin(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv);
  std::string path;
  if (!s || !args::Path(env, argv[0], "path", &path)) return nullptr;
  return Int(env, Rc(bpf_obj_pin(s->fd, path.c_str())));
}

void SetNumber(napi_env env, napi_value obj, const char* name, double n) {
  napi_value v;
  napi_create_double(env, n, &v);
  napi_set_named_property(env, obj, name, v);
}

napi_value Info(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv);
  if (!s) return nullptr;
  struct bpf_map_info mi;
  std::memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  int rc = Rc(bpf_obj_get_info_by_fd(s->fd, &mi, &len));
  if (rc < 0) return Int(env, rc);
  napi_value o, name;
  napi_create_object(env, &o);
  SetNumber(env, o, "type", mi.type);
  SetNumber(env, o, "id", mi.id);
  SetNumber(env, o, "keySize", mi.key_size);
  SetNumber(env, o, "valueSize", mi.value_size);
  SetNumber(env, o, "maxEntries", mi.max_entries);
  SetNumber(env, o, "flags", mi.map_flags);
  napi_create_string_utf8(env, mi.name, strnlen(mi.name, sizeof mi.name), &name);
  napi_set_named_property(env, o, "name", name);
  SetNumber(env, o, "btfId", mi.btf_id);
  SetNumber(env, o, "btfKeyTypeId", mi.btf_key_type_id);
  SetNumber(env, o, "btfValueTypeId", mi.btf_value_type_id);
  return o;
}

napi_value Close(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv, false);
  if (s) s->CloseFd();
  return nullptr;
}

napi_value GetFd(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv, false);
  return s ? Int(env, s->closed ? -1 : s->fd) : nullptr;
}

napi_value GetClosed(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  MapState* s = Bound(env, cbinfo, argv, false);
  if (!s) return nullptr;
  napi_value v;
  napi_get_boolean(env, s->closed, &v);
  return v;
}

// Holds `s` alive for as long as `value` lives.
bool Retain(napi_env env, napi_value value, MapState* s) {
  if (napi_add_finalizer(env, value, s, Release, nullptr, nullptr) != napi_ok) return false;
  s->refs++;
  return true;
}

// The JS object for an fd the caller hands over (closed here if the object cannot be built).
napi_value Wrap(napi_env env, int fd, uint32_t type, uint32_t keySize, uint32_t valueSize) {
  MapState* s = new MapState();
  s->fd = fd;
  s->type = type;
  s->keySize = keySize;
  s->valueSize = valueSize;
  if (IsPerCpuType(type)) {
    int ncpu = PossibleCpus();
    s->valueBufSize = ((static_cast<uint64_t>(valueSize) + 7) & ~uint64_t{7}) * static_cast<uint64_t>(ncpu > 0 ? ncpu : 1);
  } else {
    s->valueBufSize = valueSize;
  }
  // A hash of maps walks its buckets as every hash does (hashtab.c BATCH_OPS(htab)): a u32 bucket token.
  s->tokenSize = IsHashType(type) || type == BPF_MAP_TYPE_HASH_OF_MAPS ? 4 : (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ? keySize : std::max<uint32_t>(4, keySize));

  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok || !Retain(env, obj, s)) {
    s->CloseFd();
    delete s;
    return nullptr;
  }
  // What this addon will check buffers against, so the TypeScript layer never recomputes it.
  SetNumber(env, obj, "valueBufferSize", static_cast<double>(s->valueBufSize));
  SetNumber(env, obj, "tokenSize", s->tokenSize);
  static const struct {
    const char* name;
    napi_callback cb;
  } methods[] = {
      {"lookup", Lookup}, {"update", Update}, {"delete", Delete}, {"getNextKey", GetNextKey},
      {"lookupAndDelete", LookupAndDelete}, {"batch", Batch}, {"freeze", Freeze}, {"pin", Pin},
      {"info", Info}, {"close", Close}, {"openScratch", OpenScratchJs},
  };
  for (const auto& m : methods) {
    napi_value fn;
    if (napi_create_function(env, m.name, NAPI_AUTO_LENGTH, m.cb, s, &fn) != napi_ok || !Retain(env, fn, s)) return nullptr;
    napi_set_named_property(env, obj, m.name, fn);
  }
  napi_property_descriptor accessors[] = {
      {"fd", nullptr, nullptr, GetFd, nullptr, nullptr, napi_enumerable, s},
      {"closed", nullptr, nullptr, GetClosed, nullptr, nullptr, napi_enumerable, s},
  };
  napi_define_properties(env, obj, 2, accessors);
  return obj;
}

// Learns type and sizes from the kernel (BPF_OBJ_GET_INFO_BY_FD) for maps we did not create.
napi_value WrapQueried(napi_env env, int fd, bool closeOnError) {
  if (!IsMapFd(fd)) {
    if (closeOnError) ::close(fd);
    return Int(env, -EINVAL);
  }
  struct bpf_map_info mi;
  std::memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  int rc = Rc(bpf_obj_get_info_by_fd(fd, &mi, &len));
  if (rc < 0) {
    if (closeOnError) ::close(fd);
    return Int(env, rc);
  }
  return Wrap(env, fd, mi.type, mi.key_size, mi.value_size);
}

napi_value Create(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  uint32_t type, keySize, valueSize, maxEntries, flags, numaNode, btfKey, btfValue;
  int32_t btfFd, innerMapFd = 0;
  uint64_t mapExtra = 0;
  std::string name;
  if (!args::U32(env, argv[0], "type", &type) || !args::U32(env, argv[1], "keySize", &keySize) ||
      !args::U32(env, argv[2], "valueSize", &valueSize) || !args::U32(env, argv[3], "maxEntries", &maxEntries) ||
      !args::U32(env, argv[4], "flags", &flags) || !args::String(env, argv[5], "name", &name) ||
      !args::U32(env, argv[6], "numaNode", &numaNode) || !args::I32(env, argv[7], "btfFd", &btfFd) ||
      !args::U32(env, argv[8], "btfKeyTypeId", &btfKey) || !args::U32(env, argv[9], "btfValueTypeId", &btfValue)) {
    return nullptr;
  }
  // map_extra (u64, a BigInt): absent is 0. The kernel judges it (syscall.c map_create, bloom_filter.c).
  if (!args::IsNullish(env, argv[10]) && !args::Flags(env, argv[10], "mapExtra", &mapExtra)) return nullptr;
  // inner_map_fd: a map-in-map's template (absent or 0: none). The kernel judges it (map_in_map.c).
  if (!args::IsNullish(env, argv[11]) && !args::I32(env, argv[11], "innerMapFd", &innerMapFd)) return nullptr;

  // The raw syscall, not libbpf's bpf_map_create: libbpf copies at most 15 bytes of the name and so
  // silently truncates a long one. Copying up to 16 bytes leaves no NUL for a name of 16 or more, and the
  // kernel rejects it with EINVAL (kernel/bpf/syscall.c bpf_obj_name_cpy), as it rejects bad characters.
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.map_type = type;
  attr.key_size = keySize;
  attr.value_size = valueSize;
  attr.max_entries = maxEntries;
  attr.map_flags = flags;
  attr.numa_node = numaNode;
  attr.map_extra = mapExtra;
  attr.inner_map_fd = static_cast<__u32>(innerMapFd);
  std::memcpy(attr.map_name, name.data(), std::min<size_t>(name.size(), sizeof attr.map_name));
  if (btfFd > 0) {
    attr.btf_fd = static_cast<__u32>(btfFd);
    attr.btf_key_type_id = btfKey;
    attr.btf_value_type_id = btfValue;
  }
  int fd = Rc(syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  if (fd < 0) return Int(env, fd);
  return Wrap(env, fd, type, keySize, valueSize);
}

// The optional open flags (BPF_F_RDONLY / BPF_F_WRONLY) of openPinned and openById: absent → 0 (read-write).
// The kernel checks them (EINVAL for other bits or both), so they pass through unchecked.
bool OpenFlags(napi_env env, napi_value v, uint32_t* out) {
  if (args::IsNullish(env, v)) {
    *out = 0;
    return true;
  }
  return args::U32(env, v, "flags", out);
}

// openPinned(path, flags?): BPF_OBJ_GET with file_flags.
napi_value OpenPinned(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  std::string path;
  uint32_t flags;
  if (!args::Path(env, argv[0], "path", &path) || !OpenFlags(env, argv[1], &flags)) return nullptr;
  LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = flags);
  int fd = Rc(bpf_obj_get_opts(path.c_str(), &opts));
  return fd < 0 ? Int(env, fd) : WrapQueried(env, fd, true);
}

// openById(id, flags?): BPF_MAP_GET_FD_BY_ID with open_flags.
napi_value OpenById(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  uint32_t id, flags;
  if (!args::U32(env, argv[0], "id", &id) || !OpenFlags(env, argv[1], &flags)) return nullptr;
  LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts, .open_flags = flags);
  int fd = Rc(bpf_map_get_fd_by_id_opts(id, &opts));
  return fd < 0 ? Int(env, fd) : WrapQueried(env, fd, true);
}

// Ownership passes to the map object only on success; on failure the caller still owns (and closes) `fd`.
napi_value FromFd(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  int32_t fd;
  if (!args::I32(env, argv[0], "fd", &fd)) return nullptr;
  if (fd < 0) return Int(env, -EBADF);
  return WrapQueried(env, fd, false);
}

napi_value PossibleCpusJs(napi_env env, napi_callback_info) { return Int(env, PossibleCpus()); }

napi_value CloseFdJs(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  int32_t fd;
  if (!args::I32(env, argv[0], "fd", &fd)) return nullptr;
  if (fd < 0) return args::ThrowRange(env, "fd must be >= 0"), nullptr;
  ::close(fd);
  return nullptr;
}

void SetFunction(napi_env env, napi_value target, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, target, name, fn);
}

}  // namespace

void InitMap(Napi::Env env, Napi::Object exports) {
  // NativeMap is a namespace of factories, not a class: map objects are built by Wrap() only, so JS
  // cannot make one that claims wrong sizes for an fd.
  napi_value nativeMap;
  napi_create_object(env, &nativeMap);
  SetFunction(env, nativeMap, "create", Create);
  SetFunction(env, nativeMap, "openPinned", OpenPinned);
  SetFunction(env, nativeMap, "openById", OpenById);
  SetFunction(env, nativeMap, "fromFd", FromFd);
  exports.Set("NativeMap", Napi::Value(env, nativeMap));
  SetFunction(env, exports, "possibleCpus", PossibleCpusJs);
  SetFunction(env, exports, "closeFd", CloseFdJs);
}
