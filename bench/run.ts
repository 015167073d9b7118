// `make bench`: every benchmark, each printing ratios against baselines measured in the same run.
import { runMapBench } from './maps.js';
import { runMemoryBench } from './memory.js';
import { runLockBench } from './locks.js';
import { runProgramBench } from './programs.js';
import { runAsyncBench } from './async-runs.js';
import { runVerifierBench } from './verifier.js';
import { runCoverageBench } from './coverage.js';
import { kernelUnavailableReasons } from '../src/kernel/engine.js';

runMapBench();
runMemoryBench();
runProgramBench();
runCoverageBench();
await runAsyncBench();
runVerifierBench();
if (kernelUnavailableReasons().length === 0) await runLockBench();
else console.log(`\nLock bench not run: the kernel engine is unavailable (${kernelUnavailableReasons().join('; ')}).`);
