// The map half of the addon: BPF_MAP_CREATE and the element, batch, pin and info commands. Thin by
// design: check argument types and sizes, call libbpf, return 0 or -errno. Kernel errors are never thrown.
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

#include "addon_data.h"
#include "args.h"
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

// libbpf 1.x low-level calls return -errno on failure; keep that contract explicit in one place.
inline int Rc(int ret) { return ret < 0 ? (errno > 0 && ret == -1 ? -errno : ret) : ret; }

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

void NativeMap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(
      env, "NativeMap",
      {
          StaticMethod<&NativeMap::JS_create>("create"),
          StaticMethod<&NativeMap::JS_openPinned>("openPinned"),
          StaticMethod<&NativeMap::JS_openById>("openById"),
          StaticMethod<&NativeMap::JS_fromFd>("fromFd"),
          InstanceAccessor<&NativeMap::JS_fd>("fd"),
          InstanceAccessor<&NativeMap::JS_closed>("closed"),
          InstanceMethod<&NativeMap::JS_lookup>("lookup"),
          InstanceMethod<&NativeMap::JS_update>("update"),
          InstanceMethod<&NativeMap::JS_delete>("delete"),
          InstanceMethod<&NativeMap::JS_getNextKey>("getNextKey"),
          InstanceMethod<&NativeMap::JS_lookupAndDelete>("lookupAndDelete"),
          InstanceMethod<&NativeMap::JS_freeze>("freeze"),
          InstanceMethod<&NativeMap::JS_pin>("pin"),
          InstanceMethod<&NativeMap::JS_info>("info"),
          InstanceMethod<&NativeMap::JS_close>("close"),
      });
  napi_value batch;
  napi_create_function(env, "batch", NAPI_AUTO_LENGTH, &NativeMap::JS_batch, nullptr, &batch);
  cls.Get("prototype").As<Napi::Object>().Set("batch", Napi::Value(env, batch));
  GetAddonData(env)->nativeMap = Napi::Persistent(cls);
  exports.Set("NativeMap", cls);
}

// Only reachable from C++: JS cannot make a Napi::External, so `new NativeMap(...)` from JS (which could
// claim wrong sizes for an fd) is refused.
struct NativeMapInit {
  int fd;
  uint32_t type, keySize, valueSize;
};

NativeMap::NativeMap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeMap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "NativeMap cannot be constructed directly; use NativeMap.create/openPinned/openById/fromFd")
        .ThrowAsJavaScriptException();
    return;
  }
  const NativeMapInit* init = info[0].As<Napi::External<NativeMapInit>>().Data();
  fd_ = init->fd;
  closed_ = false;
  type_ = init->type;
  keySize_ = init->keySize;
  valueSize_ = init->valueSize;
  if (IsPerCpuType(type_)) {
    int ncpu = PossibleCpus();
    valueBufSize_ = ((static_cast<uint64_t>(valueSize_) + 7) & ~uint64_t{7}) * static_cast<uint64_t>(ncpu > 0 ? ncpu : 1);
  } else {
    valueBufSize_ = valueSize_;
  }
  tokenSize_ = IsHashType(type_) ? 4 : (type_ == BPF_MAP_TYPE_ARRAY || type_ == BPF_MAP_TYPE_PERCPU_ARRAY ? keySize_ : std::max<uint32_t>(4, keySize_));
}

// A NativeMap collected without close() still releases its fd.
NativeMap::~NativeMap() { CloseFd(); }

void NativeMap::CloseFd() {
  if (!closed_) {
    closed_ = true;
    ::close(fd_);
    fd_ = -1;
  }
}

bool NativeMap::Usable(Napi::Env env) {
  if (magic_ != kMagic) return args::ThrowType(env, "not a NativeMap");
  if (closed_) return args::ThrowType(env, "map is closed");
  return true;
}

Napi::Value NativeMap::Wrap(Napi::Env env, int fd, uint32_t type, uint32_t keySize, uint32_t valueSize) {
  NativeMapInit init{fd, type, keySize, valueSize};
  napi_value ext = Napi::External<NativeMapInit>::New(env, &init);
  Napi::Object obj = GetAddonData(env)->nativeMap.New({ext});
  if (env.IsExceptionPending()) {
    ::close(fd);
    return env.Undefined();
  }
  return obj;
}

// Learns type and sizes from the kernel (BPF_OBJ_GET_INFO_BY_FD) for maps we did not create.
Napi::Value NativeMap::WrapQueried(Napi::Env env, int fd, bool closeOnError) {
  if (!IsMapFd(fd)) {
    if (closeOnError) ::close(fd);
    return Napi::Number::New(env, -EINVAL);
  }
  struct bpf_map_info mi;
  std::memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  int rc = Rc(bpf_obj_get_info_by_fd(fd, &mi, &len));
  if (rc < 0) {
    if (closeOnError) ::close(fd);
    return Napi::Number::New(env, rc);
  }
  return Wrap(env, fd, mi.type, mi.key_size, mi.value_size);
}

Napi::Value NativeMap::JS_create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type, keySize, valueSize, maxEntries, flags, numaNode, btfKey, btfValue;
  int32_t btfFd;
  std::string name;
  REQUIRE_ARG(args::U32(env, info[0], "type", &type));
  REQUIRE_ARG(args::U32(env, info[1], "keySize", &keySize));
  REQUIRE_ARG(args::U32(env, info[2], "valueSize", &valueSize));
  REQUIRE_ARG(args::U32(env, info[3], "maxEntries", &maxEntries));
  REQUIRE_ARG(args::U32(env, info[4], "flags", &flags));
  REQUIRE_ARG(args::String(env, info[5], "name", &name));
  REQUIRE_ARG(args::U32(env, info[6], "numaNode", &numaNode));
  REQUIRE_ARG(args::I32(env, info[7], "btfFd", &btfFd));
  REQUIRE_ARG(args::U32(env, info[8], "btfKeyTypeId", &btfKey));
  REQUIRE_ARG(args::U32(env, info[9], "btfValueTypeId", &btfValue));

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
  std::memcpy(attr.map_name, name.data(), std::min<size_t>(name.size(), sizeof attr.map_name));
  if (btfFd > 0) {
    attr.btf_fd = static_cast<__u32>(btfFd);
    attr.btf_key_type_id = btfKey;
    attr.btf_value_type_id = btfValue;
  }
  long fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd < 0) return Napi::Number::New(env, -errno);
  return Wrap(env, static_cast<int>(fd), type, keySize, valueSize);
}

Napi::Value NativeMap::JS_openPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  REQUIRE_ARG(args::Path(env, info[0], "path", &path));
  int fd = Rc(bpf_obj_get(path.c_str()));
  if (fd < 0) return Napi::Number::New(env, fd);
  return WrapQueried(env, fd, true);
}

Napi::Value NativeMap::JS_openById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  REQUIRE_ARG(args::U32(env, info[0], "id", &id));
  int fd = Rc(bpf_map_get_fd_by_id(id));
  if (fd < 0) return Napi::Number::New(env, fd);
  return WrapQueried(env, fd, true);
}

// Ownership passes to the NativeMap only on success; on failure the caller still owns (and closes) `fd`.
Napi::Value NativeMap::JS_fromFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  REQUIRE_ARG(args::I32(env, info[0], "fd", &fd));
  if (fd < 0) return Napi::Number::New(env, -EBADF);
  return WrapQueried(env, fd, false);
}

Napi::Value NativeMap::JS_fd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (magic_ != kMagic) return args::ThrowType(env, "not a NativeMap"), env.Undefined();
  return Napi::Number::New(env, closed_ ? -1 : fd_);
}

Napi::Value NativeMap::JS_closed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (magic_ != kMagic) return args::ThrowType(env, "not a NativeMap"), env.Undefined();
  return Napi::Boolean::New(env, closed_);
}

Napi::Value NativeMap::JS_lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  args::Bytes key, value;
  uint32_t flags;
  REQUIRE_ARG(args::U8Exact(env, info[0], "key", keySize_, &key));
  REQUIRE_ARG(args::U8Exact(env, info[1], "value", valueBufSize_, &value));
  REQUIRE_ARG(args::U32(env, info[2], "flags", &flags));
  return Napi::Number::New(env, Rc(bpf_map_lookup_elem_flags(fd_, key.data, value.data, flags)));
}

Napi::Value NativeMap::JS_update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  args::Bytes key, value;
  uint32_t flags;
  REQUIRE_ARG(args::U8Exact(env, info[0], "key", keySize_, &key));
  REQUIRE_ARG(args::U8Exact(env, info[1], "value", valueBufSize_, &value));
  REQUIRE_ARG(args::U32(env, info[2], "flags", &flags));
  return Napi::Number::New(env, Rc(bpf_map_update_elem(fd_, key.data, value.data, flags)));
}

Napi::Value NativeMap::JS_delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  args::Bytes key;
  REQUIRE_ARG(args::U8Exact(env, info[0], "key", keySize_, &key));
  return Napi::Number::New(env, Rc(bpf_map_delete_elem(fd_, key.data)));
}

Napi::Value NativeMap::JS_getNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  args::Bytes key, next;
  if (!args::IsNullish(env, info[0])) REQUIRE_ARG(args::U8Exact(env, info[0], "key", keySize_, &key));
  REQUIRE_ARG(args::U8Exact(env, info[1], "next", keySize_, &next));
  return Napi::Number::New(env, Rc(bpf_map_get_next_key(fd_, key.data, next.data)));
}

Napi::Value NativeMap::JS_lookupAndDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  args::Bytes key, value;
  uint32_t flags;
  REQUIRE_ARG(args::U8Exact(env, info[0], "key", keySize_, &key));
  REQUIRE_ARG(args::U8Exact(env, info[1], "value", valueBufSize_, &value));
  REQUIRE_ARG(args::U32(env, info[2], "flags", &flags));
  return Napi::Number::New(env, Rc(bpf_map_lookup_and_delete_elem_flags(fd_, key.data, value.data, flags)));
}

// batch(op, inBatch|null, outBatch, keys, values, count: Uint32Array, elemFlags)
napi_value NativeMap::JS_batch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 7;
  napi_value argv[7];
  napi_value self;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, &self, nullptr) != napi_ok) return nullptr;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  for (size_t i = argc; i < 7; i++) argv[i] = undefined;
  void* wrapped = nullptr;
  if (napi_unwrap(env, self, &wrapped) != napi_ok || wrapped == nullptr) {
    // napi_unwrap may have set a pending exception of its own; replace nothing if so.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) args::ThrowType(env, "not a NativeMap");
    return nullptr;
  }
  NativeMap* map = static_cast<NativeMap*>(wrapped);
  if (!map->Usable(env)) return nullptr;

  uint32_t op, elemFlags;
  if (!args::U32(env, argv[0], "op", &op)) return nullptr;
  if (op > 3) return args::ThrowRange(env, "op must be 0 (lookup), 1 (lookupAndDelete), 2 (update) or 3 (delete), got " + std::to_string(op)), nullptr;
  const bool lookup = op == 0 || op == 1;

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
    if (in.data != nullptr && in.length < map->tokenSize_) {
      return args::ThrowRange(env, "inBatch must be at least " + std::to_string(map->tokenSize_) + " bytes, got " + std::to_string(in.length)), nullptr;
    }
    if (!args::U8AtLeast(env, argv[2], "outBatch", map->tokenSize_, &out)) return nullptr;
  } else {
    // update/delete take no tokens; still refuse values that are not buffers.
    if (!args::U8OrNull(env, argv[1], "inBatch", &in) || !args::U8OrNull(env, argv[2], "outBatch", &out)) return nullptr;
  }
  if (!args::U8AtLeast(env, argv[3], "keys", n * map->keySize_, &keys)) return nullptr;
  if (op == 3) {
    if (!args::U8OrNull(env, argv[4], "values", &values)) return nullptr;
  } else if (!args::U8AtLeast(env, argv[4], "values", n * map->valueBufSize_, &values)) {
    return nullptr;
  }
  if (!args::U32(env, argv[6], "elemFlags", &elemFlags)) return nullptr;

  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elemFlags, .flags = 0);
  __u32 cnt = count[0];
  int rc = 0;
  switch (op) {
    case 0: rc = bpf_map_lookup_batch(map->fd_, in.data, out.data, keys.data, values.data, &cnt, &opts); break;
    case 1: rc = bpf_map_lookup_and_delete_batch(map->fd_, in.data, out.data, keys.data, values.data, &cnt, &opts); break;
    case 2: rc = bpf_map_update_batch(map->fd_, keys.data, values.data, &cnt, &opts); break;
    case 3: rc = bpf_map_delete_batch(map->fd_, keys.data, &cnt, &opts); break;
  }
  // libbpf copies the kernel's count back also on failure (bpf.c bpf_map_batch_common): hash lookups
  // end with ENOENT and a non-zero count, and failed updates report how many were applied.
  count[0] = cnt;
  napi_value result;
  napi_create_int32(env, Rc(rc), &result);
  return result;
}

Napi::Value NativeMap::JS_freeze(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  return Napi::Number::New(env, Rc(bpf_map_freeze(fd_)));
}

Napi::Value NativeMap::JS_pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  std::string path;
  REQUIRE_ARG(args::Path(env, info[0], "path", &path));
  return Napi::Number::New(env, Rc(bpf_obj_pin(fd_, path.c_str())));
}

Napi::Value NativeMap::JS_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  REQUIRE_ARG(Usable(env));
  struct bpf_map_info mi;
  std::memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  int rc = Rc(bpf_obj_get_info_by_fd(fd_, &mi, &len));
  if (rc < 0) return Napi::Number::New(env, rc);
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", Napi::Number::New(env, mi.type));
  o.Set("id", Napi::Number::New(env, mi.id));
  o.Set("keySize", Napi::Number::New(env, mi.key_size));
  o.Set("valueSize", Napi::Number::New(env, mi.value_size));
  o.Set("maxEntries", Napi::Number::New(env, mi.max_entries));
  o.Set("flags", Napi::Number::New(env, mi.map_flags));
  o.Set("name", Napi::String::New(env, mi.name, strnlen(mi.name, sizeof mi.name)));
  o.Set("btfId", Napi::Number::New(env, mi.btf_id));
  return o;
}

Napi::Value NativeMap::JS_close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (magic_ != kMagic) return args::ThrowType(env, "not a NativeMap"), env.Undefined();
  CloseFd();
  return env.Undefined();
}

static Napi::Value JS_possibleCpus(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), PossibleCpus());
}

static Napi::Value JS_closeFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  REQUIRE_ARG(args::I32(env, info[0], "fd", &fd));
  if (fd < 0) return args::ThrowRange(env, "fd must be >= 0"), env.Undefined();
  ::close(fd);
  return env.Undefined();
}

void InitMap(Napi::Env env, Napi::Object exports) {
  NativeMap::Init(env, exports);
  exports.Set("possibleCpus", Napi::Function::New<JS_possibleCpus>(env, "possibleCpus"));
  exports.Set("closeFd", Napi::Function::New<JS_closeFd>(env, "closeFd"));
}
