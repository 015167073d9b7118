#include "init.h"

void InitMap(Napi::Env env, Napi::Object exports) {}
