// NativeObject: one libbpf bpf_object (an ELF of BPF programs and maps): open, list, reuse map fds, load
// with the verifier log captured per program, fd accessors, close. Thin: every failure is a -errno.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

struct bpf_object;
struct bpf_map;

class NativeObject : public Napi::ObjectWrap<NativeObject> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit NativeObject(const Napi::CallbackInfo& info);
  ~NativeObject() override;

 private:
  void Close();
  struct bpf_map* FindMap(const std::string& name, int* err) const;

  Napi::Value JS_open(const Napi::CallbackInfo& info);
  Napi::Value JS_maps(const Napi::CallbackInfo& info);
  Napi::Value JS_programs(const Napi::CallbackInfo& info);
  Napi::Value JS_reuseMapFd(const Napi::CallbackInfo& info);
  Napi::Value JS_setAutoload(const Napi::CallbackInfo& info);
  Napi::Value JS_setProgramOptions(const Napi::CallbackInfo& info);
  Napi::Value JS_setProgramType(const Napi::CallbackInfo& info);
  Napi::Value JS_initialValue(const Napi::CallbackInfo& info);
  Napi::Value JS_setInitialValue(const Napi::CallbackInfo& info);
  Napi::Value JS_load(const Napi::CallbackInfo& info);
  Napi::Value JS_programLog(const Napi::CallbackInfo& info);
  Napi::Value JS_libbpfLog(const Napi::CallbackInfo& info);
  Napi::Value JS_mapFd(const Napi::CallbackInfo& info);
  Napi::Value JS_programFd(const Napi::CallbackInfo& info);
  Napi::Value JS_close(const Napi::CallbackInfo& info);
  Napi::Value JS_closed(const Napi::CallbackInfo& info);

  bpf_object* obj_ = nullptr;
  bool loaded_ = false;
  // libbpf's own lines (warnings, info) printed during the last open() or load().
  std::string libbpfLog_;
  // Verifier log per program (same order as programs()), kept after load().
  std::vector<std::string> programNames_;
  std::vector<std::string> programLogs_;
};
