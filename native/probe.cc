// Feature probes: libbpf loads a minimal program of the type and reports whether the kernel accepted it.
#include <bpf/libbpf.h>

#include "args.h"
#include "init.h"

namespace {

// probeProgramType(type) → 1 (supported), 0 (not), or -errno when the probe itself failed.
napi_value ProbeProgramType(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  uint32_t type;
  if (!args::U32(env, argv[0], "type", &type)) return nullptr;
  napi_value out;
  napi_create_int32(env, libbpf_probe_bpf_prog_type(static_cast<enum bpf_prog_type>(type), nullptr), &out);
  return out;
}

}  // namespace

void InitProbe(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "probeProgramType", NAPI_AUTO_LENGTH, ProbeProgramType, nullptr, &fn);
  exports.Set("probeProgramType", Napi::Value(env, fn));
}
