// The GitHub Action's bundle, action/index.mjs: committed, because a runner runs an action's files as they
// are in its repository (no install step). One minified ESM file of the entry and everything it imports;
// the presets and package.json it reads at run time are found beside it in the action's checkout.
// `npm run build:action` writes it; test/action/bundle.test.ts fails when it differs from a fresh build.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

export const ACTION_BUNDLE = 'action/index.mjs';

export const ACTION_BUILD_OPTIONS: BuildOptions = {
  entryPoints: ['src/action.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The runner runs node24; node20 syntax also runs on the Node 20 that develops and tests it.
  target: 'node20',
  minify: true,
  // Bundled CommonJS modules call require() for Node's built-ins, which an ES module does not have.
  banner: { js: "import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  // src/workflow/github-schema.ts: the bundle inlines @actions/workflow-parser and its JSON, so no load hook.
  define: { WARDEN_BUNDLE: 'true' },
  logLevel: 'warning',
};

/** The bundle's text, built in memory from the project at `root`. */
export async function buildActionBundle(root: string): Promise<string> {
  const result = await build({ ...ACTION_BUILD_OPTIONS, absWorkingDir: root, write: false, outfile: join(root, ACTION_BUNDLE) });
  const [output] = result.outputFiles;
  if (output === undefined || result.outputFiles.length !== 1) throw new Error(`action-bundle: expected one output file, got ${result.outputFiles.length}`);
  return output.text;
}

if (process.argv[1]?.endsWith('action-bundle.js')) {
  const root = process.cwd();
  const text = await buildActionBundle(root);
  await writeFile(join(root, ACTION_BUNDLE), text, 'utf8');
  process.stdout.write(`${ACTION_BUNDLE}: ${Buffer.byteLength(text)} bytes\n`);
}
