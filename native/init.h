// Each native/*.cc adds its functions to the module's exports through one of these.
#pragma once
#include <napi.h>

void InitMap(Napi::Env env, Napi::Object exports);
void InitBtf(Napi::Env env, Napi::Object exports);
void InitObject(Napi::Env env, Napi::Object exports);
void InitProg(Napi::Env env, Napi::Object exports);
void InitProbe(Napi::Env env, Napi::Object exports);
void InitRingbuf(Napi::Env env, Napi::Object exports);
void InitIds(Napi::Env env, Napi::Object exports);
