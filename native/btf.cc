// BPF_BTF_LOAD for BTF built in TypeScript (src/btf): returns the BTF fd or -errno.
#include <bpf/bpf.h>

#include <cerrno>
#include <climits>

#include "args.h"
#include "init.h"

// btfLoad(data, log | null). With a log buffer, libbpf's convention applies (bpf.c bpf_btf_load with
// log_level 0): the load is tried without a log, and only a failure is retried with log_level 1 so the
// buffer receives the kernel's reason. A level-1 log on a successful load would list every type, and if
// that overflowed the buffer the kernel would fail the load with ENOSPC (kernel/bpf/btf.c btf_parse →
// finalize_log), turning a good BTF into an error.
static Napi::Value JS_btfLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  args::Bytes data, log;
  REQUIRE_ARG(args::U8(env, info[0], "data", &data));
  REQUIRE_ARG(args::U8OrNull(env, info[1], "log", &log));
  if (data.length == 0) return args::ThrowRange(env, "data must not be empty"), env.Undefined();
  if (data.length > UINT32_MAX) return args::ThrowRange(env, "data is larger than 4 GiB"), env.Undefined();
  // kernel/bpf/verifier.c bpf_vlog_init: a log must be 128 bytes .. UINT_MAX >> 2.
  if (log.data != nullptr && (log.length < 128 || log.length > (UINT_MAX >> 2))) {
    return args::ThrowRange(env, "log must be between 128 bytes and 1 GiB, got " + std::to_string(log.length)), env.Undefined();
  }
  LIBBPF_OPTS(bpf_btf_load_opts, opts);
  if (log.data != nullptr) {
    log.data[0] = '\0';
    opts.log_buf = reinterpret_cast<char*>(log.data);
    opts.log_size = static_cast<__u32>(log.length);
    opts.log_level = 0;
  }
  int fd = bpf_btf_load(data.data, data.length, &opts);
  return Napi::Number::New(env, fd);
}

void InitBtf(Napi::Env env, Napi::Object exports) {
  exports.Set("btfLoad", Napi::Function::New<JS_btfLoad>(env, "btfLoad"));
}
