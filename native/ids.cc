// What bpftool's `map list` / `prog list` walk: the kernel's map and program ids, and a program's
// struct bpf_prog_info by id (decoded in TypeScript: src/uapi/prog-info.ts).
// nextId(kind, start) → the next id after `start` (kind 0 maps, 1 programs) | -ENOENT at the end | -errno
// progInfoById(id, out) → the bytes of struct bpf_prog_info the kernel filled (≤ out.length) | -errno
// btfById(id, out) → a loaded BTF's raw bytes, for decoding a map's keys and values (src/cli/map-dump.ts)
#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "args.h"
#include "errno.h"
#include "init.h"

namespace {

Napi::Value NextId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t kind, start;
  REQUIRE_ARG(args::U32(env, info[0], "kind", &kind));
  REQUIRE_ARG(args::U32(env, info[1], "start", &start));
  __u32 next = 0;
  int rc = Rc(kind == 0 ? bpf_map_get_next_id(start, &next) : bpf_prog_get_next_id(start, &next));
  return Napi::Number::New(env, rc < 0 ? rc : static_cast<double>(next));
}

// BPF_OBJ_GET_INFO_BY_FD on a fd of the object with this id (`getFd`: bpf_prog_get_fd_by_id, ...), closed
// after: 0 | -errno.
template <typename Info>
int InfoById(int (*getFd)(__u32), uint32_t id, Info* into) {
  int fd = getFd(id);
  if (fd < 0) return -errno;
  __u32 len = sizeof(Info);
  int rc = Rc(bpf_obj_get_info_by_fd(fd, into, &len));
  ::close(fd);
  return rc;
}

Napi::Value ProgInfoById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  REQUIRE_ARG(args::U32(env, info[0], "id", &id));
  args::Bytes out;
  REQUIRE_ARG(args::U8(env, info[1], "out", &out));
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof(pi));
  int rc = InfoById(bpf_prog_get_fd_by_id, id, &pi);
  if (rc < 0) return Napi::Number::New(env, rc);
  size_t n = std::min(sizeof(pi), out.length);
  memcpy(out.data, &pi, n);
  return Napi::Number::New(env, static_cast<double>(n));
}

// btfById(id, out) → the raw BTF's size (BPF_BTF_GET_FD_BY_ID, then BTF info with `out` as its buffer): the
// bytes are in `out` when it was large enough; call again with a larger one otherwise | -errno.
Napi::Value BtfById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  REQUIRE_ARG(args::U32(env, info[0], "id", &id));
  args::Bytes out;
  REQUIRE_ARG(args::U8(env, info[1], "out", &out));
  struct bpf_btf_info bi;
  memset(&bi, 0, sizeof(bi));
  bi.btf = reinterpret_cast<__u64>(out.data);
  bi.btf_size = static_cast<__u32>(out.length);
  int rc = InfoById(bpf_btf_get_fd_by_id, id, &bi);
  return Napi::Number::New(env, rc < 0 ? rc : static_cast<double>(bi.btf_size));
}

}  // namespace

void InitIds(Napi::Env env, Napi::Object exports) {
  exports.Set("nextId", Napi::Function::New<NextId>(env, "nextId"));
  exports.Set("progInfoById", Napi::Function::New<ProgInfoById>(env, "progInfoById"));
  exports.Set("btfById", Napi::Function::New<BtfById>(env, "btfById"));
}
