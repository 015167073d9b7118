// Module init: one function per source file registers its part of the binding.
#include <dlfcn.h>

#include "init.h"

// Node unloads an addon when the last environment that loaded it goes away (a terminated worker), but
// threads of ours may still be finishing (a run interrupted at teardown, native/prog.cc). Loading
// ourselves once more with RTLD_NODELETE keeps the code mapped for the life of the process.
static void PinThisLibrary() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinThisLibrary), &info) != 0 && info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
  }
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinThisLibrary();
  InitMap(env, exports);
  InitBtf(env, exports);
  InitObject(env, exports);
  InitProg(env, exports);
  InitProbe(env, exports);
  InitRingbuf(env, exports);
  InitIds(env, exports);
  return exports;
}

NODE_API_MODULE(bpfkit, Init)
