// `make bench`: every benchmark, each printing ratios against baselines measured in the same run.
import { runMapBench } from './maps.js';
import { runMemoryBench } from './memory.js';

runMapBench();
runMemoryBench();
try {
  const { runLockBench } = await import('./locks.js');
  await runLockBench();
} catch (e) {
  console.log(`\nLocks bench not run: ${(e as Error).message}`);
}
