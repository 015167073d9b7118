#include "init.h"

void InitObject(Napi::Env env, Napi::Object exports) {}
