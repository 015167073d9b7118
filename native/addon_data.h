// Per-environment data of the addon. Every ObjectWrap constructor lives here rather than in a static
// Napi::FunctionReference, because the addon may be loaded by several Node environments at once (the main
// thread and worker_threads): a static would hold one environment's function and crash in the others.
#pragma once
#include <napi.h>

struct AddonData {
  // native/object.cc: NativeObject's constructor, held for as long as the environment lives.
  Napi::FunctionReference nativeObject;
};

// Created on first use by whichever Init* runs first; freed by Node when the environment is torn down
// (SetInstanceData's default finalizer deletes it).
inline AddonData* GetAddonData(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData<AddonData>(data);
  }
  return data;
}
