// BPF_PROG_TEST_RUN, synchronous and on the libuv threadpool (so one Node process can keep several CPUs
// busy running programs). Both validate every argument before the syscall and report -errno.
#pragma once
#include <napi.h>

namespace prog {
Napi::Value TestRun(const Napi::CallbackInfo& info);
Napi::Value TestRunAsync(const Napi::CallbackInfo& info);
Napi::Value TestRunCancel(const Napi::CallbackInfo& info);
Napi::Value ProgLoad(const Napi::CallbackInfo& info);
}  // namespace prog
