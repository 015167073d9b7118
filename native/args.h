// Argument checks for native entry points (better-sqlite3 style): each helper either fills its output and
// returns true, or throws a TypeError/RangeError into JS and returns false; the caller then returns
// undefined at once. Checks happen before any syscall, so a malformed call never reaches the kernel with a
// buffer the kernel could overrun. Typed-array data is read with the C API (one napi call per buffer).
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>
#include <string>

namespace args {

inline bool ThrowType(napi_env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

inline bool ThrowRange(napi_env env, const std::string& msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// A Uint8Array (a Buffer is one too). Any other value, including other typed arrays, is a TypeError.
inline bool U8(napi_env env, napi_value v, const char* name, Bytes* out) {
  napi_typedarray_type type;
  void* data;
  size_t length;
  // napi_get_typedarray_info fails on anything that is not a typed array; its data pointer already
  // includes the view's byte offset.
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    return ThrowType(env, std::string(name) + " must be a Uint8Array");
  }
  out->data = static_cast<uint8_t*>(data);
  out->length = length;
  return true;
}

inline bool IsNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

// null/undefined → data nullptr; otherwise a Uint8Array.
inline bool U8OrNull(napi_env env, napi_value v, const char* name, Bytes* out) {
  if (IsNullish(env, v)) {
    out->data = nullptr;
    out->length = 0;
    return true;
  }
  return U8(env, v, name, out);
}

// A Uint8Array of exactly `expected` bytes: the kernel reads/writes exactly the map's sizes, so a shorter
// buffer would be overrun and a longer one means the caller's layout is wrong.
inline bool U8Exact(napi_env env, napi_value v, const char* name, size_t expected, Bytes* out) {
  if (!U8(env, v, name, out)) return false;
  if (out->length != expected) {
    return ThrowRange(env, std::string(name) + " must be " + std::to_string(expected) + " bytes, got " +
                               std::to_string(out->length));
  }
  return true;
}

inline bool U8AtLeast(napi_env env, napi_value v, const char* name, uint64_t minimum, Bytes* out) {
  if (!U8(env, v, name, out)) return false;
  if (out->length < minimum) {
    return ThrowRange(env, std::string(name) + " must be at least " + std::to_string(minimum) +
                               " bytes, got " + std::to_string(out->length));
  }
  return true;
}

// An integer number in [min, max]: non-numbers, NaN and fractions are TypeErrors, out of range RangeErrors.
inline bool Int(napi_env env, napi_value v, const char* name, double min, double max, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return ThrowType(env, std::string(name) + " must be a number");
  if (std::isnan(d) || std::trunc(d) != d) {
    return ThrowType(env, std::string(name) + " must be an integer, got " + (std::isnan(d) ? std::string("NaN") : std::to_string(d)));
  }
  if (d < min || d > max) {
    return ThrowRange(env, std::string(name) + " must be in [" + std::to_string(static_cast<int64_t>(min)) + ", " +
                               std::to_string(static_cast<int64_t>(max)) + "], got " + std::to_string(d));
  }
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool U32(napi_env env, napi_value v, const char* name, uint32_t* out) {
  int64_t n;
  if (!Int(env, v, name, 0, 4294967295.0, &n)) return false;
  *out = static_cast<uint32_t>(n);
  return true;
}

// Element flags: a u32 number, or a BigInt carrying the kernel's whole u64 (BPF_F_CPU's CPU in the upper 32
// bits, Linux 7.0+). The emulator's handle (src/emulator/emulator.ts args.flags) answers with the same words.
inline bool Flags(napi_env env, napi_value v, const char* name, uint64_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_bigint) {
    bool lossless;
    if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok && lossless) return true;
    napi_value str;
    size_t len = 0;
    char text[96] = "";
    if (napi_coerce_to_string(env, v, &str) == napi_ok) napi_get_value_string_utf8(env, str, text, sizeof text, &len);
    return ThrowRange(env, std::string(name) + " must be in [0, 18446744073709551615], got " + text);
  }
  uint32_t n;
  if (!U32(env, v, name, &n)) return false;
  *out = n;
  return true;
}

inline bool I32(napi_env env, napi_value v, const char* name, int32_t* out) {
  int64_t n;
  if (!Int(env, v, name, -2147483648.0, 2147483647.0, &n)) return false;
  *out = static_cast<int32_t>(n);
  return true;
}

inline bool String(napi_env env, napi_value v, const char* name, std::string* out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) {
    return ThrowType(env, std::string(name) + " must be a string");
  }
  out->resize(len);
  size_t copied;
  napi_get_value_string_utf8(env, v, out->data(), len + 1, &copied);
  out->resize(copied);
  return true;
}

// A path handed to the kernel as a C string: an embedded NUL would silently shorten it.
inline bool Path(napi_env env, napi_value v, const char* name, std::string* out) {
  if (!String(env, v, name, out)) return false;
  if (out->empty()) return ThrowType(env, std::string(name) + " must be a non-empty string");
  if (out->find('\0') != std::string::npos) return ThrowType(env, std::string(name) + " must not contain NUL characters");
  return true;
}

}  // namespace args

// For use inside Napi methods: bail out (the exception is already pending) when a check fails.
#define REQUIRE_ARG(check) \
  do {                     \
    if (!(check)) return env.Undefined(); \
  } while (0)
