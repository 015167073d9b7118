// The floor for any Node library over bpf(): the thinnest N-API functions doing bench/maps' lookup and update.
// JS binds the fd and two buffers once (bind), then each call is one napi_get_cb_info (for update, one
// napi_get_value_uint32) around libbpf's syscall wrapper, with no argument checks: JS writes the key and reads
// the value through its own DataViews on the bound buffers. bpfkit's typed get/set are measured against this.
// Bench-only (make bench builds it); it trusts its caller.
#include <bpf/bpf.h>
#include <node_api.h>
#include <stdint.h>

static int map_fd = -1;
static void *key_data, *value_data;
static napi_ref key_ref, value_ref;  // the bound buffers stay alive while bound

static napi_value int_result(napi_env env, int rc) {
  napi_value v;
  napi_create_int32(env, rc, &v);
  return v;
}

// bind(fd, keyArrayBuffer, valueArrayBuffer)
static napi_value bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  size_t len;
  napi_get_value_int32(env, argv[0], &fd);
  if (key_ref) napi_delete_reference(env, key_ref);
  if (value_ref) napi_delete_reference(env, value_ref);
  napi_get_arraybuffer_info(env, argv[1], &key_data, &len);
  napi_get_arraybuffer_info(env, argv[2], &value_data, &len);
  napi_create_reference(env, argv[1], 1, &key_ref);
  napi_create_reference(env, argv[2], 1, &value_ref);
  map_fd = fd;
  return NULL;
}

static napi_value lookup(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, NULL, NULL, NULL);
  return int_result(env, bpf_map_lookup_elem(map_fd, key_data, value_data));
}

// update(flags)
static napi_value update(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t flags = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_uint32(env, argv[0], &flags);
  return int_result(env, bpf_map_update_elem(map_fd, key_data, value_data, flags));
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"bind", NULL, bind, NULL, NULL, NULL, napi_default, NULL},
      {"lookup", NULL, lookup, NULL, NULL, NULL, napi_default, NULL},
      {"update", NULL, update, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}
