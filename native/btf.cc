#include "init.h"

void InitBtf(Napi::Env env, Napi::Object exports) {}
