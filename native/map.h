// NativeMap: one owned BPF map fd plus the sizes needed to check buffers before every bpf() call.
#pragma once
#include <napi.h>
#include <cstdint>

class NativeMap : public Napi::ObjectWrap<NativeMap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit NativeMap(const Napi::CallbackInfo& info);
  ~NativeMap() override;

 private:
  // Wraps an fd the caller owns from now on; returns a NativeMap object (or a negative errno number).
  static Napi::Value Wrap(Napi::Env env, int fd, uint32_t type, uint32_t keySize, uint32_t valueSize);
  static Napi::Value WrapQueried(Napi::Env env, int fd, bool closeOnError);

  static Napi::Value JS_create(const Napi::CallbackInfo& info);
  static Napi::Value JS_openPinned(const Napi::CallbackInfo& info);
  static Napi::Value JS_openById(const Napi::CallbackInfo& info);
  static Napi::Value JS_fromFd(const Napi::CallbackInfo& info);

  Napi::Value JS_fd(const Napi::CallbackInfo& info);
  Napi::Value JS_closed(const Napi::CallbackInfo& info);
  Napi::Value JS_lookup(const Napi::CallbackInfo& info);
  Napi::Value JS_update(const Napi::CallbackInfo& info);
  Napi::Value JS_delete(const Napi::CallbackInfo& info);
  Napi::Value JS_getNextKey(const Napi::CallbackInfo& info);
  Napi::Value JS_lookupAndDelete(const Napi::CallbackInfo& info);
  Napi::Value JS_freeze(const Napi::CallbackInfo& info);
  Napi::Value JS_pin(const Napi::CallbackInfo& info);
  Napi::Value JS_info(const Napi::CallbackInfo& info);
  Napi::Value JS_close(const Napi::CallbackInfo& info);
  // batch has 7 arguments, more than Napi::CallbackInfo keeps on the stack (6), so it is a raw napi
  // callback: no heap allocation per call.
  static napi_value JS_batch(napi_env env, napi_callback_info cbinfo);

  // False (with a TypeError thrown) when `this` is not a live NativeMap.
  bool Usable(Napi::Env env);
  void CloseFd();

  // Guards against a NativeMap method called with another ObjectWrap class's object as `this`
  // (node-addon-api's Unwrap does not check the class).
  static constexpr uint64_t kMagic = 0x70616d74696b7062ull;  // "bpfkitmap"
  uint64_t magic_ = kMagic;
  int fd_ = -1;
  bool closed_ = true;
  uint32_t type_ = 0;
  uint32_t keySize_ = 0;
  uint32_t valueSize_ = 0;
  // value_size, or round_up(value_size, 8) * possible CPUs for per-CPU maps (the syscall copies one
  // 8-byte-aligned slot per possible CPU: kernel/bpf/hashtab.c bpf_percpu_hash_copy, arraymap.c
  // bpf_percpu_array_copy).
  uint64_t valueBufSize_ = 0;
  // Batch in/out token size: hash maps use a u32 bucket index (hashtab.c __htab_map_lookup_and_delete_batch),
  // the generic batch code uses a key (kernel/bpf/syscall.c generic_map_lookup_batch).
  uint32_t tokenSize_ = 0;
};
