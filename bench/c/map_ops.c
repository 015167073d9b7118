// Baseline for bench/maps: the same workload as the TypeScript bench, as a plain C loop over libbpf.
// u32 -> u64 HASH with N entries; prints ns/op for lookup, update and batch lookup (per element) as JSON.
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 100000;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bench_c", 4, 8, n, NULL);
  if (fd < 0) {
    fprintf(stderr, "bpf_map_create: %s\n", strerror(-fd));
    return 1;
  }
  for (uint32_t k = 0; k < n; k++) {
    uint64_t v = k;
    if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) return 1;
  }
  volatile uint64_t sink = 0;
  double best_lookup = 1e18, best_update = 1e18, best_batch = 1e18;
  uint32_t *keys = malloc(sizeof(uint32_t) * n);
  uint64_t *vals = malloc(sizeof(uint64_t) * n);
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    for (uint32_t k = 0; k < n; k++) {
      uint64_t v;
      if (bpf_map_lookup_elem(fd, &k, &v)) return 1;
      sink += v;
    }
    double t1 = now_ns();
    for (uint32_t k = 0; k < n; k++) {
      uint64_t v = k + r;
      if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) return 1;
    }
    double t2 = now_ns();
    // Batch lookup in chunks of 4096, as the TS bench does.
    uint32_t in = 0, out = 0, total = 0;
    int first = 1;
    for (;;) {
      uint32_t count = 4096;
      int err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
      for (uint32_t i = 0; i < count; i++) sink += vals[i] + keys[i];
      total += count;
      if (err && err != -ENOENT) return 1;
      if (err == -ENOENT) break;
      in = out;
      first = 0;
    }
    double t3 = now_ns();
    if (total != n) return 1;
    if ((t1 - t0) / n < best_lookup) best_lookup = (t1 - t0) / n;
    if ((t2 - t1) / n < best_update) best_update = (t2 - t1) / n;
    if ((t3 - t2) / n < best_batch) best_batch = (t3 - t2) / n;
  }
  printf("{\"lookup\":%.1f,\"update\":%.1f,\"lookupBatch\":%.1f,\"entries\":%u,\"sink\":%llu}\n", best_lookup, best_update,
         best_batch, n, (unsigned long long)(sink & 1));
  close(fd);
  return 0;
}
