import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ up to date before any test: worker threads run the compiled package (test/helpers/build-dist.ts).
    globalSetup: ['test/helpers/build-dist.ts'],
    // Kernel tests share one kernel; run files one at a time so concurrency tests own both CPUs.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
