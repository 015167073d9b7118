// progTestRun(progFd, data|null, dataOut|null, ctx|null, ctxOut|null, repeat, cpu, flags, loops, out) → 0 | -errno
// progTestRunAsync(...same) → Promise<0 | -errno>, run on a thread of its own
// progTestRunCancel(progFd) → number of runs of that program fd it interrupted
// `out` is a Uint32Array(4) that receives [retval, duration (ns, average per run), dataSizeOut, ctxSizeOut].
// `loops` > 1 repeats the whole syscall from here (SEC("syscall") programs refuse the kernel's `repeat`);
// duration is then measured here. The kernel's rules on which program types take data/ctx/repeat/cpu
// are left to the kernel (EINVAL); this file only guarantees it never hands the kernel a buffer it could
// overrun, and that a run in flight owns what it uses:
//  - the program: an async run holds its own dup of the program fd, so closing the object (and the fd
//    number being reused by another object) can never make it run another program;
//  - its buffers: references keep them alive (the TypeScript layer passes private copies, so they cannot
//    be transferred or detached underneath the kernel);
//  - its end: progTestRunCancel and environment teardown (worker.terminate()) interrupt it; process exit
//    ends its thread with the process.
//    The kernel's test_run loop stops with -EINTR on a pending signal (net/bpf/test_run.c
//    bpf_test_timer_continue), so a cancel sends the running thread a signal with an empty handler until
//    the run has ended (a single signal could land just before the thread enters the syscall).
#include "prog.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "args.h"
#include "errno.h"
#include "init.h"

namespace {

constexpr int kArgCount = 10;

struct RunArgs {
  int32_t progFd = -1;
  args::Bytes data, dataOut, ctx, ctxOut;
  uint32_t repeat = 0, cpu = 0, flags = 0, loops = 1;
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
  if (!args::U32(env, info[8], "loops", &a->loops)) return false;
  if (a->loops == 0) a->loops = 1;
  if (!OutArray(env, info[9], &a->out)) return false;
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

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// libbpf's bpf_prog_test_run_opts returns -errno (libbpf 1.x); the sizes out are written even on -ENOSPC.
// `cancelled` is checked between loops (SEC("syscall") programs run one iteration per syscall).
RunResult Run(const RunArgs& a, int fd, const std::atomic<bool>* cancelled) {
  RunResult r;
  uint64_t start = a.loops > 1 ? NowNs() : 0;
  for (uint32_t i = 0; i < a.loops; i++) {
    if (cancelled != nullptr && cancelled->load()) {
      r.rc = -EINTR;
      break;
    }
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
    errno = 0;
    int rc = bpf_prog_test_run_opts(fd, &opts);
    r.rc = rc < 0 ? Rc(rc) : 0;
    r.retval = opts.retval;
    r.duration = opts.duration;
    r.dataSizeOut = opts.data_size_out;
    r.ctxSizeOut = opts.ctx_size_out;
    if (r.rc != 0) break;
  }
  if (a.loops > 1 && r.rc == 0) r.duration = static_cast<uint32_t>((NowNs() - start) / a.loops);
  return r;
}

void WriteOut(uint32_t* out, const RunResult& r) {
  out[0] = r.retval;
  out[1] = r.duration;
  out[2] = r.dataSizeOut;
  out[3] = r.ctxSizeOut;
}

// ---- runs in flight ----

// One async run. Shared by the async work and the registry, so a cancel never touches freed memory.
struct Flight {
  napi_env env;
  int originalFd;            // the fd the caller named: what progTestRunCancel matches
  int ownFd = -1;            // our dup of it: what the kernel runs
  std::atomic<bool> cancelled{false};
  std::mutex threadMutex;                // held to signal the thread, and by the thread to stop being signalled
  bool inSyscall = false;                // under threadMutex: the thread is alive and may be in the kernel
  std::atomic<bool> finished{false};
  std::atomic<bool> handedOver{false};  // the thread is done with the AsyncRun
  pthread_t thread{};
};

std::mutex registryMutex;
std::set<std::shared_ptr<Flight>>* registry = new std::set<std::shared_ptr<Flight>>();  // never freed: used at exit

// The interrupting signal: a real-time signal that neither Node, V8 nor libuv uses, with an empty handler
// installed without SA_RESTART so the syscall it lands in returns -EINTR.
int InterruptSignal() { return SIGRTMIN + 4; }

void InstallInterruptHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(InterruptSignal(), &sa, nullptr);
  });
}

// Marks the flight cancelled; a detached thread signals its worker thread every millisecond until the run
// is over (a queued run sees the flag before it starts and never enters the kernel).
void Cancel(const std::shared_ptr<Flight>& f) {
  if (f->cancelled.exchange(true)) return;
  std::thread([f] {
    while (!f->finished.load()) {
      {
        std::lock_guard<std::mutex> lock(f->threadMutex);
        if (f->inSyscall) pthread_kill(f->thread, InterruptSignal());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }).detach();
}

template <typename Pred>
int CancelWhere(Pred pred) {
  std::lock_guard<std::mutex> lock(registryMutex);
  int n = 0;
  for (const auto& f : *registry) {
    if (!f->finished.load() && pred(*f)) {
      Cancel(f);
      n++;
    }
  }
  return n;
}

// One async run: its own thread (not libuv's threadpool, which Node waits for before it tears an
// environment down, and which would cap concurrent runs at 4), and a thread-safe function to settle the
// promise on the JS thread. Owned by the thread until it hands it to SettleRun.
struct AsyncRun {
  RunArgs args;
  RunResult result;
  std::shared_ptr<Flight> flight;
  napi_deferred deferred = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  napi_ref refs[5] = {};
};

// On the JS thread; `env` is null when the environment is being torn down: then nothing can be settled
// and only memory is freed. Nothing here throws: N-API statuses are ignored, never turned into exceptions.
void StopRunAtTeardown(void* data);

void SettleRun(napi_env env, napi_value, void*, void* data) {
  auto* run = static_cast<AsyncRun*>(data);
  if (env != nullptr) {
    napi_remove_env_cleanup_hook(env, StopRunAtTeardown, run);
    if (run->result.rc == 0 || run->result.rc == -ENOSPC) WriteOut(run->args.out, run->result);
    napi_value rc;
    if (napi_create_int32(env, run->result.rc, &rc) == napi_ok) napi_resolve_deferred(env, run->deferred, rc);
    for (napi_ref ref : run->refs) {
      if (ref != nullptr) napi_delete_reference(env, ref);
    }
  }
  delete run;
}

void RunThread(AsyncRun* run) {
  Flight& f = *run->flight;
  {
    std::lock_guard<std::mutex> lock(f.threadMutex);
    f.thread = pthread_self();
    f.inSyscall = true;
  }
  run->result = Run(run->args, f.ownFd, &f.cancelled);
  {
    std::lock_guard<std::mutex> lock(f.threadMutex);
    f.inSyscall = false;
  }
  close(f.ownFd);
  f.finished.store(true);
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry->erase(run->flight);
  }
  std::shared_ptr<Flight> flight = run->flight;
  napi_threadsafe_function tsfn = run->tsfn;
  if (napi_call_threadsafe_function(tsfn, run, napi_tsfn_blocking) != napi_ok) delete run;  // env gone
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  flight->handedOver.store(true);
}

// Environment teardown (worker.terminate(), the end of the main environment): Node frees the thread-safe
// function in its own cleanup hook, so the run must be over and handed back before that. Hooks run last
// registered first, and this one is registered after the thread-safe function was created, so it runs
// before that hook: it interrupts the run and waits (milliseconds) for the thread to let go.
void StopRunAtTeardown(void* data) {
  std::shared_ptr<Flight> flight = static_cast<AsyncRun*>(data)->flight;
  Cancel(flight);
  while (!flight->handedOver.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

namespace prog {

Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RunArgs a;
  if (!ParseArgs(info, &a)) return env.Undefined();
  RunResult r = Run(a, a.progFd, nullptr);
  WriteOut(a.out, r);
  return Napi::Number::New(env, r.rc);
}

Napi::Value TestRunAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto run = std::make_unique<AsyncRun>();
  if (!ParseArgs(info, &run->args)) return env.Undefined();
  InstallInterruptHandler();
  napi_value promise;
  if (napi_create_promise(env, &run->deferred, &promise) != napi_ok) return env.Undefined();
  auto flight = std::make_shared<Flight>();
  flight->env = env;
  flight->originalFd = run->args.progFd;
  flight->ownFd = fcntl(run->args.progFd, F_DUPFD_CLOEXEC, 3);
  if (flight->ownFd < 0) {
    napi_value rc;
    napi_create_int32(env, Rc(flight->ownFd), &rc);
    napi_resolve_deferred(env, run->deferred, rc);
    return Napi::Value(env, promise);
  }
  napi_value name;
  napi_create_string_utf8(env, "bpfkit.progTestRun", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, SettleRun,
                                      &run->tsfn) != napi_ok) {
    close(flight->ownFd);
    Napi::Error::New(env, "progTestRunAsync: could not create a thread-safe function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  run->flight = flight;
  const int keep[5] = {1, 2, 3, 4, 9};
  for (int i = 0; i < 5; i++) {
    if (info[keep[i]].IsObject()) napi_create_reference(env, info[keep[i]], 1, &run->refs[i]);
  }
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry->insert(flight);
  }
  napi_add_env_cleanup_hook(env, StopRunAtTeardown, run.get());
  std::thread(RunThread, run.release()).detach();
  return Napi::Value(env, promise);
}

// progLoad(type, insns, license, name, fdArray|null, expectedAttachType, progFlags, log, logLevel?,
// attachBtfId?) → prog fd | -errno. BPF_PROG_LOAD of raw instructions; `fdArray` is the kernel's fd_array (ld_imm64 with
// BPF_PSEUDO_MAP_IDX refers to its entries), `log` receives the verifier's log: at `logLevel` (1, 2, with
// BPF_LOG_STATS 4) when given, else only on failure (libbpf retries with log_level 1). `attachBtfId`: a type
// id in vmlinux BTF (fentry/fexit/tp_btf/iter/lsm programs name their target by it).
Napi::Value ProgLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type, attach;
  args::Bytes insns, log;
  std::string license, name;
  if (!args::U32(env, info[0], "type", &type)) return env.Undefined();
  if (!args::U8(env, info[1], "insns", &insns)) return env.Undefined();
  if (insns.length == 0 || insns.length % 8 != 0) {
    args::ThrowRange(env, "insns must be a non-empty multiple of 8 bytes, got " + std::to_string(insns.length));
    return env.Undefined();
  }
  if (!args::String(env, info[2], "license", &license)) return env.Undefined();
  if (!args::String(env, info[3], "name", &name)) return env.Undefined();
  const int* fdArray = nullptr;
  if (!args::IsNullish(env, info[4])) {
    napi_typedarray_type t;
    void* data;
    size_t length;
    if (napi_get_typedarray_info(env, info[4], &t, &length, &data, nullptr, nullptr) != napi_ok || t != napi_int32_array) {
      args::ThrowType(env, "fdArray must be an Int32Array or null");
      return env.Undefined();
    }
    fdArray = static_cast<const int*>(data);
  }
  uint32_t progFlags;
  if (!args::U32(env, info[5], "expectedAttachType", &attach)) return env.Undefined();
  if (!args::U32(env, info[6], "progFlags", &progFlags)) return env.Undefined();
  if (!args::U8(env, info[7], "log", &log)) return env.Undefined();
  uint32_t logLevel = 0;
  if (!args::IsNullish(env, info[8]) && !args::U32(env, info[8], "logLevel", &logLevel)) return env.Undefined();
  uint32_t attachBtfId = 0;
  if (!args::IsNullish(env, info[9]) && !args::U32(env, info[9], "attachBtfId", &attachBtfId)) return env.Undefined();
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.log_level = logLevel;
  opts.fd_array = fdArray;
  opts.expected_attach_type = static_cast<enum bpf_attach_type>(attach);
  opts.prog_flags = progFlags;
  opts.attach_btf_id = attachBtfId;
  if (log.length > 0) {
    log.data[0] = 0;
    opts.log_buf = reinterpret_cast<char*>(log.data);
    opts.log_size = static_cast<__u32>(std::min<size_t>(log.length, UINT32_MAX));
  }
  errno = 0;
  int fd = bpf_prog_load(static_cast<enum bpf_prog_type>(type), name.empty() ? nullptr : name.c_str(),
                         license.c_str(), reinterpret_cast<const struct bpf_insn*>(insns.data), insns.length / 8, &opts);
  return Napi::Number::New(env, Rc(fd));
}

Napi::Value TestRunCancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!args::I32(env, info[0], "progFd", &fd)) return env.Undefined();
  return Napi::Number::New(env, CancelWhere([fd](const Flight& f) { return f.originalFd == fd; }));
}

// BPF_OBJ_GET_INFO_BY_FD on a program: its id (what a prog array's lookup returns for it), or -errno.
Napi::Value ProgId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t fd;
  if (!args::I32(env, info[0], "progFd", &fd)) return env.Undefined();
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof(pi));
  __u32 len = sizeof(pi);
  int rc = Rc(bpf_obj_get_info_by_fd(fd, &pi, &len));
  return Napi::Number::New(env, rc < 0 ? rc : static_cast<double>(pi.id));
}

}  // namespace prog

void InitProg(Napi::Env env, Napi::Object exports) {
  exports.Set("progTestRun", Napi::Function::New<prog::TestRun>(env, "progTestRun"));
  exports.Set("progTestRunAsync", Napi::Function::New<prog::TestRunAsync>(env, "progTestRunAsync"));
  exports.Set("progLoad", Napi::Function::New<prog::ProgLoad>(env, "progLoad"));
  exports.Set("progTestRunCancel", Napi::Function::New<prog::TestRunCancel>(env, "progTestRunCancel"));
  exports.Set("progId", Napi::Function::New<prog::ProgId>(env, "progId"));
}
