#include "init.h"

void InitProbe(Napi::Env env, Napi::Object exports) {}
