// `workflow-warden graph [dir|file|owner/repo]`: the resolved call graph as a picture (Mermaid, DOT or JSON),
// of a local checkout or of a repository on GitHub. The same resolution as `check`, without a policy: the
// graph under the host's own limits. The reader is the person running it, so nothing is redacted.
import { stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readWorkflowDirectory } from '../app/workflows.js';
import { resolveGraph } from '../engine/run.js';
import type { CallGraph, PlatformLimits, RepoId, RepoMetadata } from '../graph/types.js';
import { buildPicture, renderDot, renderMermaid, renderPictureJson } from '../report/graph-picture.js';
import { inactiveRedactor } from '../report/redact.js';
import { findTarget, operatorLimits, REPO_NAME } from './check.js';
import { readCheckout, unknownRepository } from './checkout.js';
import { EXIT, fail, ioReason, parseCommandArgs, PROGRAM, toolVersion, UsageError, type CliIO, type ExitCode } from './io.js';
import { LocalCheckoutSource } from './local-source.js';
import { readRepositoryHead, remoteSource, type RemoteSource } from './remote.js';

const COMMAND = 'graph';
const FORMATS = { mermaid: renderMermaid, dot: renderDot, json: renderPictureJson } as const;
type Format = keyof typeof FORMATS;

export const GRAPH_HELP = `Usage: ${PROGRAM} ${COMMAND} [dir|file|owner/repo] [options]

Draws the resolved call graph: every top-level workflow of a local checkout (default: the current
directory), or the one workflow file given, or every workflow of a repository on GitHub at its
default branch (or --ref), each call followed into the workflow or action it runs. Calls that could
not be read, or were not followed past a platform limit, end in a node saying why.

Options:
  --format <format>    mermaid (default: renders in GitHub Markdown inside a \`\`\`mermaid block), dot
                       (Graphviz), or json.
  --ref <ref>          owner/repo only: the branch, tag or commit to read (default: the default branch).
  --repo <owner/name>  A checkout only: the repository it is of (default: its "origin" remote).
  --output <file>      Write the picture to this file instead of stdout.
  -h, --help           Show this help.

A path that exists is a checkout (or a workflow file in one); otherwise owner/repo is read through the
GitHub API, which needs GITHUB_TOKEN (GITHUB_API_URL or GHE_HOST for other hosts, as for check).

Exit codes:
  0  the picture was drawn (calls that could not be read are in it, marked as such)
  2  usage error, unreadable file or directory, or a repository GitHub did not give: nothing was drawn
`;

export async function graphCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const parsed = parseCommandArgs(args, {
    format: { type: 'string' },
    ref: { type: 'string' },
    repo: { type: 'string' },
    output: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (parsed.flags.has('help')) {
    io.stdout.write(GRAPH_HELP);
    return EXIT.ok;
  }
  const { format = 'mermaid', ref, repo, output } = parsed.strings;
  if (!Object.hasOwn(FORMATS, format)) throw new UsageError(`--format must be mermaid, dot or json, got ${JSON.stringify(format)}`);
  if (parsed.positionals.length > 1) throw new UsageError(`expected at most one directory, workflow file or owner/repo, got ${parsed.positionals.length}`);
  if (repo !== undefined && !REPO_NAME.test(repo)) throw new UsageError(`--repo must be owner/name, got ${JSON.stringify(repo)}`);
  const target = parsed.positionals[0] ?? '.';
  const limits = operatorLimits(io.env);
  const remote = remoteSource(io.env, toolVersion(), io.stderr);
  const local = await exists(resolve(io.cwd, target));
  if (!local && !REPO_NAME.test(target)) return fail(io, COMMAND, `${target} is neither a directory, a workflow file nor owner/repo`);
  if (local && ref !== undefined) throw new UsageError('--ref applies to owner/repo only: a checkout is drawn as it is on disk');
  if (!local && repo !== undefined) throw new UsageError('--repo applies to a checkout only');
  const graph = local ? await localGraph(target, repo, remote, limits, io) : await remoteGraph(splitName(target), ref, remote, limits, io);
  if (typeof graph === 'number') return graph;
  const text = FORMATS[format as Format](buildPicture(graph, inactiveRedactor()));
  if (output === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  try {
    await writeFile(resolve(io.cwd, output), text, 'utf8');
  } catch (error) {
    return fail(io, COMMAND, `cannot write ${output}: ${ioReason(error)}`);
  }
  return EXIT.ok;
}

async function localGraph(path: string, repo: string | undefined, remote: RemoteSource, limits: Partial<PlatformLimits>, io: CliIO): Promise<CallGraph | ExitCode> {
  const target = await findTarget(path, io);
  if (typeof target === 'string') return fail(io, COMMAND, target);
  const checkout = await readCheckout(target.root);
  // Visibility decides nothing in a picture: no policy is evaluated, and nothing is asked of GitHub for it.
  const repository: RepoMetadata = { repo: (repo === undefined ? undefined : splitName(repo)) ?? checkout.origin ?? unknownRepository(target.root), visibility: 'private', archived: false };
  if (!remote.client) io.stderr.write(`${PROGRAM} ${COMMAND}: GITHUB_TOKEN is not set: calls into other repositories are not read, and are drawn as not read.\n`);
  const source = new LocalCheckoutSource({ root: checkout.root, repository, commit: checkout.commit, remote: remote.source });
  const roots = (target.file === undefined ? checkout.workflows : [target.file]).map((file) => ({ repo: repository.repo, path: file, commit: checkout.commit }));
  return resolveGraph({ roots, repository, source, limits });
}

async function remoteGraph(repo: RepoId, ref: string | undefined, remote: RemoteSource, limits: Partial<PlatformLimits>, io: CliIO): Promise<CallGraph | ExitCode> {
  if (!remote.client) return fail(io, COMMAND, `drawing ${repo.owner}/${repo.name} reads it through the GitHub API: set GITHUB_TOKEN`);
  const head = await readRepositoryHead(remote.client, repo, ref);
  if (typeof head === 'string') return fail(io, COMMAND, head);
  let files;
  try {
    files = (await readWorkflowDirectory(remote.client, head.repository.repo, head.commit)).files;
  } catch (error) {
    return fail(io, COMMAND, `cannot list the workflows of ${repo.owner}/${repo.name}: ${ioReason(error)}`);
  }
  const roots = files.map((file) => ({ repo: head.repository.repo, path: file.path, commit: head.commit, ...(file.text !== undefined && { text: file.text }) }));
  return resolveGraph({ roots, repository: head.repository, source: remote.source, limits });
}

function splitName(name: string): RepoId {
  const [owner = '', repo = ''] = name.split('/');
  return { owner, name: repo };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
