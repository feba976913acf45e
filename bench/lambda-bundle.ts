// The Lambda bundles exactly as `serverless package` builds them, for the end-to-end test and the benchmark:
// the esbuild settings and the functions' handlers and package patterns are read from serverless.yml
// (custom.esbuild is serverless-esbuild's configuration), and the output has the layout of the zip.
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { parse } from 'yaml';

/** serverless-esbuild's own options: not esbuild's. `exclude` are externals it does not package. */
const PLUGIN_OPTIONS = new Set(['exclude', 'outputFileExtension', 'packager', 'packagerOptions', 'keepOutputDirectory', 'concurrency', 'zipConcurrency', 'nativeZip', 'installExtraArgs', 'watch']);

export interface LambdaFunction {
  name: string;
  /** `src/lambda/webhook.handler` */
  handler: string;
  /** The TypeScript entry, relative to the project root. */
  entry: string;
  /** The bundle in the output (and in the zip), e.g. `src/lambda/webhook.mjs`. */
  bundle: string;
  /** Files the function's package adds, as `dir/*.ext` patterns. */
  patterns: string[];
}

export interface LambdaBundle extends LambdaFunction {
  /** Absolute path of the built bundle. */
  path: string;
  bytes: number;
  metafile: Metafile;
}

interface ServerlessConfig {
  functions: Record<string, { handler: string; package?: { patterns?: string[] } }>;
  custom: { esbuild: Record<string, unknown> & { exclude?: string[]; outputFileExtension?: string } };
}

export async function readServerlessConfig(root: string): Promise<ServerlessConfig> {
  return parse(await readFile(join(root, 'serverless.yml'), 'utf8')) as ServerlessConfig;
}

/** The esbuild options serverless-esbuild derives from custom.esbuild. */
export function esbuildOptions(config: ServerlessConfig): BuildOptions {
  const settings = config.custom.esbuild;
  const options = Object.fromEntries(Object.entries(settings).filter(([key]) => !PLUGIN_OPTIONS.has(key))) as BuildOptions;
  const extension = settings.outputFileExtension ?? '.js';
  return {
    ...options,
    external: [...(options.external ?? []), ...(settings.exclude ?? [])],
    ...(extension !== '.js' && { outExtension: { '.js': extension } }),
  };
}

export function lambdaFunctions(config: ServerlessConfig): LambdaFunction[] {
  const extension = config.custom.esbuild.outputFileExtension ?? '.js';
  return Object.entries(config.functions).map(([name, fn]) => {
    const module = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    return { name, handler: fn.handler, entry: `${module}.ts`, bundle: `${module}${extension}`, patterns: fn.package?.patterns ?? [] };
  });
}

/** Copies the files of `dir/*.ext` patterns (the only form serverless.yml uses here). */
async function copyPatterns(root: string, outDir: string, patterns: string[]): Promise<void> {
  for (const pattern of patterns) {
    const match = /^([\w./-]+)\/\*(\.\w+)$/.exec(pattern);
    if (!match) throw new Error(`lambda-bundle: unsupported package pattern ${pattern}`);
    const [, folder = '', extension = ''] = match;
    await mkdir(join(outDir, folder), { recursive: true });
    for (const file of await readdir(join(root, folder))) {
      if (file.endsWith(extension)) await copyFile(join(root, folder, file), join(outDir, folder, file));
    }
  }
}

/** Builds every function of serverless.yml into `outDir`, laid out as its zip (plus a metafile per bundle). */
export async function buildLambdaBundles(outDir: string, root = process.cwd()): Promise<LambdaBundle[]> {
  const config = await readServerlessConfig(root);
  const options = esbuildOptions(config);
  const bundles: LambdaBundle[] = [];
  for (const fn of lambdaFunctions(config)) {
    const functionDir = join(outDir, fn.name);
    const path = join(functionDir, fn.bundle);
    const result = await build({ ...options, absWorkingDir: root, entryPoints: [join(root, fn.entry)], outdir: dirname(path), metafile: true, logLevel: 'warning' });
    await copyPatterns(root, functionDir, fn.patterns);
    const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith(fn.bundle.split('/').pop() ?? ''));
    bundles.push({ ...fn, path, bytes: output?.[1].bytes ?? 0, metafile: result.metafile });
  }
  return bundles;
}
