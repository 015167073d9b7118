// Feature probes: libbpf loads a minimal program of the type and reports whether the kernel accepted it.
#include <bpf/libbpf.h>

#include "args.h"
#include "init.h"

namespace {

// probeProgramType(type) → 1 (supported), 0 (not), or -errno when the probe itself failed.
Napi::Value JS_probeProgramType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type;
  REQUIRE_ARG(args::U32(env, info[0], "type", &type));
  return Napi::Number::New(env, libbpf_probe_bpf_prog_type(static_cast<enum bpf_prog_type>(type), nullptr));
}

}  // namespace

void InitProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("probeProgramType", Napi::Function::New<JS_probeProgramType>(env, "probeProgramType"));
}
