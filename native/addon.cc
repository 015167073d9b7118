// Module init: one function per source file registers its part of the binding.
#include "init.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitMap(env, exports);
  InitBtf(env, exports);
  InitObject(env, exports);
  InitProg(env, exports);
  InitProbe(env, exports);
  return exports;
}

NODE_API_MODULE(bpfkit, Init)
