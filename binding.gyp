{
  "targets": [
    {
      "target_name": "bpfkit",
      "sources": [
        "native/addon.cc",
        "native/map.cc",
        "native/btf.cc",
        "native/object.cc",
        "native/prog.cc",
        "native/probe.cc",
        "native/map_scratch.cc",
        "native/ringbuf.cc",
        "native/ids.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["<!@(pkg-config --libs libbpf)"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
