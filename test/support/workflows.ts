// Workflow files for tests, written as text so the real parser reads them as it reads a repository's.

/** The path of `.github/workflows/<name>.yml` in its repository. */
export function wf(name: string): string {
  return `.github/workflows/${name}.yml`;
}

/** A `./` call of `.github/workflows/<name>.yml` in the caller's own repository. */
export function local(name: string): string {
  return `./${wf(name)}`;
}

/** A job that runs a command and calls nothing: the body of a reusable workflow that calls nobody. */
export const RUN = 'runs-on: ubuntu-latest\nsteps:\n  - run: make\n';

/** A workflow file: `head` (on, permissions, concurrency…) then `jobs`, each job's body written as YAML text. */
export function workflow(head: string, jobs: Record<string, string>): string {
  const body = Object.entries(jobs)
    .map(([id, text]) => `  ${id}:\n${text.replace(/^(?=.)/gm, '    ')}`)
    .join('');
  return `${head}jobs:\n${body}`;
}

/** Jobs `call0`, `call1`… each calling one of `calls`, in order: tables name a call by its index. */
function callJobs(calls: readonly string[]): Record<string, string> {
  return Object.fromEntries(calls.map((uses, index) => [`call${index}`, `uses: ${uses}\n`]));
}

/** A top-level workflow (on: pull_request) whose jobs call each of `calls`. */
export function caller(...calls: string[]): string {
  return workflow('on: pull_request\n', callJobs(calls));
}

/** A reusable workflow whose jobs call each of `calls`; with none, one job runs a command. */
export function callable(...calls: string[]): string {
  return workflow('on: workflow_call\n', calls.length > 0 ? callJobs(calls) : { build: RUN });
}

/** Files of a local chain: `names[0]` calls `names[1]`, … the last calls nothing. */
export function localChain(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name, index) => [wf(name), callable(...names.slice(index + 1, index + 2).map(local))]));
}

/** A job that runs steps, one per `uses` (`checkout` first when the job must see its workspace). */
export function steps(...uses: string[]): string {
  return `runs-on: ubuntu-latest\nsteps:\n${uses.map((value) => `  - uses: ${value}\n`).join('')}`;
}

/** An `action.yml` running `uses` as its steps (a composite action), or a JavaScript action with none. */
export function action(...uses: string[]): string {
  if (uses.length === 0) return "name: tool\nruns:\n  using: node24\n  main: index.js\n";
  return `name: composite\nruns:\n  using: composite\n  steps:\n${uses.map((value) => `    - uses: ${value}\n`).join('')}`;
}
