#include "init.h"

void InitProg(Napi::Env env, Napi::Object exports) {}
