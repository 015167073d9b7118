#!/usr/bin/env node
// The package's command (package.json "bin"): everything is in dist/cli/main.js.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
