#!/usr/bin/env node
// The package's command (package.json "bin"): everything is in dist/cli.js.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
