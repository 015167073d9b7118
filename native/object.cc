// The object half of the addon: bpf_object__open_file, map/program listing, bpf_map__reuse_fd, load with
// the verifier log captured per program, fd accessors and close. Kernel and libbpf failures come back as
// -errno (never thrown); only malformed arguments throw TypeError/RangeError.
#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "errno.h"
#include "init.h"

namespace {

// libbpf prints through one process-wide callback. Loads run on the JS thread of their environment, so
// a thread_local sink gives each main thread / worker its own capture without locks. Outside a capture,
// lines are dropped unless BPFKIT_LIBBPF_DEBUG is set: the caller gets them from libbpfLog() instead.
thread_local std::string* captureSink = nullptr;

int PrintToSink(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;  // per-section chatter; warnings and info carry the reasons
  char line[2048];
  int n = vsnprintf(line, sizeof line, format, args);
  if (n < 0) return 0;
  if (captureSink != nullptr) {
    captureSink->append(line);
  } else if (std::getenv("BPFKIT_LIBBPF_DEBUG") != nullptr) {
    std::fputs(line, stderr);
  }
  return n;
}

// RAII: route libbpf's lines into `sink` for the lifetime of the scope.
class Capture {
 public:
  explicit Capture(std::string* sink) : previous_(captureSink) {
    sink->clear();
    captureSink = sink;
  }
  ~Capture() { captureSink = previous_; }

 private:
  std::string* previous_;
};

// The kernel keeps the tail of a too-long log (rotating mode, Linux 6.4+) and the failing instruction is
// at the tail; 16 MiB is reserved, not touched, so unused space costs nothing.
constexpr size_t kLogSize = 16u << 20;

// Names of every struct/union reachable from a map value's BTF type (through typedefs, modifiers, arrays,
// datasec variables). TypeScript looks for bpf_spin_lock / bpf_res_spin_lock in it to refuse lock-bearing
// values in map types the kernel rejects, before libbpf turns that into a misleading message.
//
// The BTF is the object's, so it may be hostile; libbpf 1.1 checks record sizes but not what types refer
// to. The walk visits each type once (a struct with two members of its own type, or one that contains
// itself, costs one visit: no exponential or endless walk) and uses no recursion. Structs nested
// kMaxResolveDepth levels deep are not looked into: kernel/bpf/btf.c btf_find_nested_struct stops there
// (E2BIG), and src/btf/decode.ts MAX_RESOLVE_DEPTH is the same number for the emulator. It is a 0-1
// breadth-first walk (a member is one level below its struct or datasec; a typedef, modifier, array or var
// target is on the same level), so every type is reached at its least nesting level.
constexpr int kMaxResolveDepth = 32;

void CollectStructNames(const struct btf* btf, __u32 root, std::set<std::string>* out) {
  const __u32 count = btf__type_cnt(btf);
  if (root == 0 || root >= count) return;
  std::vector<int> level(count, INT_MAX);
  std::vector<bool> done(count, false);
  std::deque<__u32> queue;
  level[root] = 0;
  queue.push_back(root);
  while (!queue.empty()) {
    const __u32 id = queue.front();
    queue.pop_front();
    if (done[id]) continue;
    done[id] = true;
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (t == nullptr) continue;
    const int here = level[id];
    auto reach = [&](__u32 next, int cost) {
      if (next == 0 || next >= count || here + cost >= level[next]) return;
      level[next] = here + cost;
      if (cost == 0) {
        queue.push_front(next);
      } else {
        queue.push_back(next);
      }
    };
    switch (btf_kind(t)) {
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
      case BTF_KIND_VAR:
        reach(t->type, 0);
        break;
      case BTF_KIND_ARRAY:
        reach(btf_array(t)->type, 0);
        break;
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        const char* name = btf__name_by_offset(btf, t->name_off);
        if (name != nullptr && name[0] != '\0') out->insert(name);
        if (here + 1 >= kMaxResolveDepth) break;
        const struct btf_member* m = btf_members(t);
        for (__u16 i = 0; i < btf_vlen(t); i++) reach(m[i].type, 1);
        break;
      }
      case BTF_KIND_DATASEC: {
        if (here + 1 >= kMaxResolveDepth) break;
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        for (__u16 i = 0; i < btf_vlen(t); i++) reach(v[i].type, 1);
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace

void NativeObject::Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(PrintToSink);
  Napi::Function cls = DefineClass(
      env, "NativeObject",
      {
          InstanceMethod<&NativeObject::JS_open>("open"),
          InstanceMethod<&NativeObject::JS_maps>("maps"),
          InstanceMethod<&NativeObject::JS_programs>("programs"),
          InstanceMethod<&NativeObject::JS_reuseMapFd>("reuseMapFd"),
          InstanceMethod<&NativeObject::JS_setAutoload>("setAutoload"),
          InstanceMethod<&NativeObject::JS_setProgramOptions>("setProgramOptions"),
          InstanceMethod<&NativeObject::JS_setProgramType>("setProgramType"),
          InstanceMethod<&NativeObject::JS_initialValue>("initialValue"),
          InstanceMethod<&NativeObject::JS_setInitialValue>("setInitialValue"),
          InstanceMethod<&NativeObject::JS_load>("load"),
          InstanceMethod<&NativeObject::JS_programLog>("programLog"),
          InstanceMethod<&NativeObject::JS_libbpfLog>("libbpfLog"),
          InstanceMethod<&NativeObject::JS_mapFd>("mapFd"),
          InstanceMethod<&NativeObject::JS_programFd>("programFd"),
          InstanceMethod<&NativeObject::JS_close>("close"),
          InstanceAccessor<&NativeObject::JS_closed>("closed"),
      });
  GetAddonData(env)->nativeObject = Napi::Persistent(cls);
  exports.Set("NativeObject", cls);
}

NativeObject::NativeObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeObject>(info) {}

NativeObject::~NativeObject() { Close(); }

void NativeObject::Close() {
  if (obj_ != nullptr) {
    bpf_object__close(obj_);  // closes every map and program fd the object owns
    obj_ = nullptr;
  }
}

// The open object's map `name`, or nullptr with *err -EBADF (no object) or -ENOENT (no such map).
struct bpf_map* NativeObject::FindMap(const std::string& name, int* err) const {
  if (obj_ == nullptr) {
    *err = -EBADF;
    return nullptr;
  }
  struct bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
  if (map == nullptr) *err = -ENOENT;
  return map;
}

// open(path) → 0 | -errno. A missing file is -ENOENT; a non-ELF or malformed object is libbpf's errno
// (usually -EINVAL or -LIBBPF_ERRNO__FORMAT), with libbpf's reason in libbpfLog().
Napi::Value NativeObject::JS_open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  REQUIRE_ARG(args::Path(env, info[0], "path", &path));
  if (obj_ != nullptr) return Napi::Number::New(env, -EBUSY);
  Capture capture(&libbpfLog_);
  errno = 0;
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  long err = libbpf_get_error(obj);
  if (obj == nullptr || err != 0) return Napi::Number::New(env, err != 0 ? static_cast<double>(err) : NegErrno(-EINVAL));
  obj_ = obj;
  return Napi::Number::New(env, 0);
}

// maps() → [{ name, type, keySize, valueSize, maxEntries, flags, internal, valueStructs }] (definitions
// as libbpf will create them, after any reuseMapFd).
Napi::Value NativeObject::JS_maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  if (obj_ == nullptr) return list;
  const struct btf* btf = bpf_object__btf(obj_);
  uint32_t i = 0;
  struct bpf_map* map;
  bpf_object__for_each_map(map, obj_) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("name", bpf_map__name(map));
    m.Set("type", static_cast<double>(bpf_map__type(map)));
    m.Set("keySize", static_cast<double>(bpf_map__key_size(map)));
    m.Set("valueSize", static_cast<double>(bpf_map__value_size(map)));
    m.Set("maxEntries", static_cast<double>(bpf_map__max_entries(map)));
    m.Set("flags", static_cast<double>(bpf_map__map_flags(map)));
    m.Set("internal", bpf_map__is_internal(map));
    std::set<std::string> names;
    if (btf != nullptr) CollectStructNames(btf, bpf_map__btf_value_type_id(map), &names);
    Napi::Array structs = Napi::Array::New(env, names.size());
    uint32_t j = 0;
    for (const std::string& n : names) structs.Set(j++, n);
    m.Set("valueStructs", structs);
    list.Set(i++, m);
  }
  return list;
}

// programs() → [{ name, section, type, autoload }] (type: enum bpf_prog_type).
Napi::Value NativeObject::JS_programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  if (obj_ == nullptr) return list;
  uint32_t i = 0;
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, obj_) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", bpf_program__name(prog));
    p.Set("section", bpf_program__section_name(prog));
    p.Set("type", static_cast<double>(bpf_program__type(prog)));
    p.Set("autoload", bpf_program__autoload(prog));
    list.Set(i++, p);
  }
  return list;
}

// reuseMapFd(name, fd) → 0 | -errno. libbpf dups the fd and takes the map's definition from it.
Napi::Value NativeObject::JS_reuseMapFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  int32_t fd;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  REQUIRE_ARG(args::I32(env, info[1], "fd", &fd));
  if (fd < 0) return Napi::Number::New(env, -EBADF);
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  struct bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
  if (map == nullptr) return Napi::Number::New(env, -ENOENT);
  Capture capture(&libbpfLog_);
  errno = 0;
  int rc = bpf_map__reuse_fd(map, fd);
  return Napi::Number::New(env, rc < 0 ? rc : 0);
}

// setAutoload(name, bool) → 0 | -errno (bpf_program__set_autoload: before load only).
Napi::Value NativeObject::JS_setAutoload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (prog == nullptr) return Napi::Number::New(env, -ENOENT);
  int rc = bpf_program__set_autoload(prog, info[1].ToBoolean().Value());
  return Napi::Number::New(env, rc < 0 ? rc : 0);
}

// setProgramOptions(name, logLevel, flags) → 0 | -errno: the verifier's log level for the program
// (bpf_program__set_log_level; 0 keeps libbpf's way: a log only when the load fails) and BPF_F_* load flags
// added to those libbpf sets itself (BPF_F_SLEEPABLE for ".s" sections, ...). Before load only.
Napi::Value NativeObject::JS_setProgramOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  uint32_t logLevel, flags;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  REQUIRE_ARG(args::U32(env, info[1], "logLevel", &logLevel));
  REQUIRE_ARG(args::U32(env, info[2], "flags", &flags));
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (prog == nullptr) return Napi::Number::New(env, -ENOENT);
  int rc = bpf_program__set_log_level(prog, logLevel);
  if (rc == 0) rc = bpf_program__set_flags(prog, bpf_program__flags(prog) | flags);
  return Napi::Number::New(env, rc < 0 ? rc : 0);
}

// setProgramType(name, type) → 0 | -errno: the program's BPF_PROG_TYPE_* in place of its section's
// (bpf_program__set_type), for sections libbpf does not know. Before load only.
Napi::Value NativeObject::JS_setProgramType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  uint32_t type;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  REQUIRE_ARG(args::U32(env, info[1], "type", &type));
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (prog == nullptr) return Napi::Number::New(env, -ENOENT);
  int rc = bpf_program__set_type(prog, static_cast<enum bpf_prog_type>(type));
  return Napi::Number::New(env, rc < 0 ? rc : 0);
}

// initialValue(name) → a copy of the bytes an internal map (.data, .bss, .rodata, ...) is created with
// (bpf_map__initial_value) | -errno: -ENOENT for no such map, -EINVAL for one with no initial image.
Napi::Value NativeObject::JS_initialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  int err;
  struct bpf_map* map = FindMap(name, &err);
  if (map == nullptr) return Napi::Number::New(env, err);
  size_t size = 0;
  const void* data = bpf_map__initial_value(map, &size);
  if (data == nullptr) return Napi::Number::New(env, -EINVAL);
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), size);
}

// setInitialValue(name, bytes) → 0 | -errno: the bytes an internal map is created with, in place of its
// section's (bpf_map__set_initial_value: the whole value, before load; .rodata is frozen after it, so the
// verifier reads these). libbpf says -EINVAL for a size other than the value's or a map without an image.
Napi::Value NativeObject::JS_setInitialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  args::Bytes bytes;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  REQUIRE_ARG(args::U8(env, info[1], "bytes", &bytes));
  int err;
  struct bpf_map* map = FindMap(name, &err);
  if (map == nullptr) return Napi::Number::New(env, err);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  int rc = bpf_map__set_initial_value(map, bytes.data, bytes.length);
  return Napi::Number::New(env, rc < 0 ? rc : 0);
}

// load() → 0 | -errno. Every program gets its own log buffer, so the failing program's verifier log is
// available from programLog(name); libbpf's own lines are in libbpfLog().
Napi::Value NativeObject::JS_load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  if (loaded_) return Napi::Number::New(env, -EBUSY);
  std::vector<std::unique_ptr<char[]>> buffers;
  programNames_.clear();
  programLogs_.clear();
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, obj_) {
    // new char[] without () leaves the pages untouched until the kernel writes the log.
    buffers.emplace_back(new char[kLogSize]);
    buffers.back()[0] = '\0';
    bpf_program__set_log_buf(prog, buffers.back().get(), kLogSize);
    programNames_.emplace_back(bpf_program__name(prog));
  }
  int rc;
  {
    Capture capture(&libbpfLog_);
    errno = 0;
    rc = bpf_object__load(obj_);
  }
  size_t i = 0;
  bpf_object__for_each_program(prog, obj_) {
    programLogs_.emplace_back(buffers[i].get(), strnlen(buffers[i].get(), kLogSize));
    bpf_program__set_log_buf(prog, nullptr, 0);  // the buffer dies with this scope
    i++;
  }
  if (rc < 0) return Napi::Number::New(env, rc);
  loaded_ = true;
  return Napi::Number::New(env, 0);
}

// programLog(name) → the verifier log of that program's last load attempt ("" if none).
Napi::Value NativeObject::JS_programLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  for (size_t i = 0; i < programNames_.size() && i < programLogs_.size(); i++) {
    if (programNames_[i] == name) return Napi::String::New(env, programLogs_[i]);
  }
  return Napi::String::New(env, "");
}

Napi::Value NativeObject::JS_libbpfLog(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpfLog_);
}

// mapFd(name) → the fd the object owns (valid until close) | -errno.
Napi::Value NativeObject::JS_mapFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  int err;
  struct bpf_map* map = FindMap(name, &err);
  if (map == nullptr) return Napi::Number::New(env, err);
  return Napi::Number::New(env, FdOrErrno(bpf_map__fd(map)));
}

// programFd(name) → the fd the object owns (valid until close) | -errno.
Napi::Value NativeObject::JS_programFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  REQUIRE_ARG(args::String(env, info[0], "name", &name));
  if (obj_ == nullptr) return Napi::Number::New(env, -EBADF);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (prog == nullptr) return Napi::Number::New(env, -ENOENT);
  return Napi::Number::New(env, FdOrErrno(bpf_program__fd(prog)));
}

Napi::Value NativeObject::JS_close(const Napi::CallbackInfo& info) {
  Close();
  return info.Env().Undefined();
}

Napi::Value NativeObject::JS_closed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), obj_ == nullptr);
}

// dupFd(fd) → a new close-on-exec fd for the same file | -errno, so a map can outlive its object.
static Napi::Value JS_dupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  REQUIRE_ARG(args::I32(env, info[0], "fd", &fd));
  if (fd < 0) return Napi::Number::New(env, -EBADF);
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return Napi::Number::New(env, Rc(dup));
}

void InitObject(Napi::Env env, Napi::Object exports) {
  NativeObject::Init(env, exports);
  exports.Set("dupFd", Napi::Function::New<JS_dupFd>(env, "dupFd"));
}
