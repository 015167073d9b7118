// progTestRun(progFd, data|null, dataOut|null, ctx|null, ctxOut|null, repeat, cpu, flags, out) → 0 | -errno
// progTestRunAsync(...same, callback) → undefined; later callback(rc)
// `out` is a Uint32Array(4) that receives [retval, duration (ns, average per run), dataSizeOut, ctxSizeOut].
// The kernel's rules on which program types take data/ctx/repeat/cpu are left to the kernel (EINVAL);
// this file only guarantees it never hands the kernel a buffer it could overrun.
#include "prog.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <string>
#include <vector>

#include "args.h"
#include "init.h"

namespace {

constexpr int kArgCount = 9;

struct RunArgs {
  int32_t progFd = -1;
  args::Bytes data, dataOut, ctx, ctxOut;
  uint32_t repeat = 0, cpu = 0, flags = 0;
  uint32_t* out = nullptr;
};

bool OutArray(napi_env env, napi_value v, uint32_t** out) {
  napi_typedarray_type type;
  void* data;
  size_t length;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    return args::ThrowType(env, "out must be a Uint32Array");
  }
  if (length < 4) return args::ThrowRange(env, "out must hold at least 4 elements, got " + std::to_string(length));
  *out = static_cast<uint32_t*>(data);
  return true;
}

bool ParseArgs(const Napi::CallbackInfo& info, RunArgs* a) {
  napi_env env = info.Env();
  if (!args::I32(env, info[0], "progFd", &a->progFd)) return false;
  if (a->progFd < 0) return args::ThrowRange(env, "progFd must be a non-negative fd, got " + std::to_string(a->progFd));
  if (!args::U8OrNull(env, info[1], "data", &a->data)) return false;
  if (!args::U8OrNull(env, info[2], "dataOut", &a->dataOut)) return false;
  if (!args::U8OrNull(env, info[3], "ctx", &a->ctx)) return false;
  if (!args::U8OrNull(env, info[4], "ctxOut", &a->ctxOut)) return false;
  if (!args::U32(env, info[5], "repeat", &a->repeat)) return false;
  if (!args::U32(env, info[6], "cpu", &a->cpu)) return false;
  if (!args::U32(env, info[7], "flags", &a->flags)) return false;
  if (!OutArray(env, info[8], &a->out)) return false;
  // A zero-length Uint8Array may have no backing store; the kernel must see "no buffer", not a size-0 one
  // with a dangling pointer.
  if (a->data.length == 0) a->data.data = nullptr;
  if (a->dataOut.length == 0) a->dataOut.data = nullptr;
  if (a->ctx.length == 0) a->ctx.data = nullptr;
  if (a->ctxOut.length == 0) a->ctxOut.data = nullptr;
  if (a->data.length > UINT32_MAX || a->dataOut.length > UINT32_MAX || a->ctx.length > UINT32_MAX ||
      a->ctxOut.length > UINT32_MAX) {
    return args::ThrowRange(env, "test_run buffers are limited to 4 GiB");
  }
  return true;
}

struct RunResult {
  int rc = 0;
  uint32_t retval = 0, duration = 0, dataSizeOut = 0, ctxSizeOut = 0;
};

// libbpf's bpf_prog_test_run_opts returns -errno (libbpf 1.x); the sizes out are written even on -ENOSPC.
RunResult Run(const RunArgs& a) {
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = a.data.data;
  opts.data_size_in = static_cast<__u32>(a.data.length);
  opts.data_out = a.dataOut.data;
  opts.data_size_out = static_cast<__u32>(a.dataOut.length);
  opts.ctx_in = a.ctx.data;
  opts.ctx_size_in = static_cast<__u32>(a.ctx.length);
  opts.ctx_out = a.ctxOut.data;
  opts.ctx_size_out = static_cast<__u32>(a.ctxOut.length);
  opts.repeat = static_cast<int>(a.repeat);
  opts.cpu = a.cpu;
  opts.flags = a.flags;
  RunResult r;
  errno = 0;
  int rc = bpf_prog_test_run_opts(a.progFd, &opts);
  r.rc = rc < 0 ? (rc == -1 && errno > 0 ? -errno : rc) : 0;
  r.retval = opts.retval;
  r.duration = opts.duration;
  r.dataSizeOut = opts.data_size_out;
  r.ctxSizeOut = opts.ctx_size_out;
  return r;
}

void WriteOut(uint32_t* out, const RunResult& r) {
  out[0] = r.retval;
  out[1] = r.duration;
  out[2] = r.dataSizeOut;
  out[3] = r.ctxSizeOut;
}

// Runs on a libuv threadpool thread. The JS buffers are held by references for the whole run, so they
// cannot be collected while the kernel reads and writes them.
class TestRunWorker : public Napi::AsyncWorker {
 public:
  TestRunWorker(const Napi::CallbackInfo& info, const RunArgs& a, Napi::Function callback)
      : Napi::AsyncWorker(callback, "bpfkit.progTestRun"), args_(a) {
    for (int i = 1; i <= 4; i++) Keep(info[i]);
    Keep(info[8]);
  }

  void Execute() override { result_ = Run(args_); }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    WriteOut(args_.out, result_);
    refs_.clear();
    Callback().Call({Napi::Number::New(env, result_.rc)});
  }

 private:
  void Keep(Napi::Value v) {
    if (v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

  RunArgs args_;
  RunResult result_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace

namespace prog {

Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RunArgs a;
  if (!ParseArgs(info, &a)) return env.Undefined();
  RunResult r = Run(a);
  WriteOut(a.out, r);
  return Napi::Number::New(env, r.rc);
}

Napi::Value TestRunAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RunArgs a;
  if (!ParseArgs(info, &a)) return env.Undefined();
  if (!info[kArgCount].IsFunction()) {
    Napi::TypeError::New(env, "callback must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new TestRunWorker(info, a, info[kArgCount].As<Napi::Function>());
  worker->Queue();  // the worker deletes itself after OnOK
  return env.Undefined();
}

}  // namespace prog

void InitProg(Napi::Env env, Napi::Object exports) {
  exports.Set("progTestRun", Napi::Function::New<prog::TestRun>(env, "progTestRun"));
  exports.Set("progTestRunAsync", Napi::Function::New<prog::TestRunAsync>(env, "progTestRunAsync"));
}
