#!/usr/bin/env node
// The `workflow-warden` executable (package.json `bin`): runs one command line and exits with its code.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
