// The GitHub Action's entry point, bundled into action/index.mjs (action.yml `runs.main`): the runner runs it with `node`.
import { runAction } from './action/main.js';

process.exitCode = await runAction({ env: process.env, stdout: process.stdout, cwd: process.cwd() });
