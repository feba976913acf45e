// `npm run bench` (second part): CPU of the policy engine alone — every rule over a 50-workflow graph —
// and of compiling a realistic policy file, cold (first in the process) and warm.
import { evaluatePolicy } from '../src/engine/evaluate.js';
import type { RefFacts } from '../src/engine/types.js';
import { GITHUB_COM_LIMITS } from '../src/graph/limits.js';
import { resolveCallGraph } from '../src/graph/resolve.js';
import type { RepoMetadata } from '../src/graph/types.js';
import { MemoryCacheStore } from '../src/cache/memory.js';
import { compilePolicy } from '../src/policy/parse.js';
import { shippedPresets } from '../src/policy/presets.js';
import { ALL_RULES } from '../src/rules/index.js';
import { CASES, InstantSource, synthesize } from './synthetic.js';

const POLICY = `version: 1
extends: strict
enforcement: block
platform: { max-levels: 10, max-unique: 50 }
rules:
  allowed-sources:
    allow: ["bench-org/*", "bench-actions/*", "octo-org/shared/.github/workflows/deploy.yml@*"]
    deny: ["bench-org/legacy/*"]
  visibility:
    allow: { public: [public], internal: [internal, public], private: [private, internal, public] }
    check-access-setting: true
  pinning: { require: sha, scope: all, verify: true }
  max-depth: { levels: 10 }
  secrets-inherit: { allow: ["bench-org/*"] }
exceptions:
  - uses: "bench-org/legacy-release/.github/workflows/*@v*"
    rules: [pinning]
    repos: ["bench-org/*"]
    reason: "the legacy release workflows move to SHA pins with their next major version"
    expires: 2027-06-30
repositories:
  - match: ["bench-org/sandbox-*"]
    enforcement: warn
repo-policy: tighten-only
`;

function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const coldCompile = cpuMs(() => compilePolicy(POLICY, 'workflow-policy.yml', shippedPresets));
  const warmCompile = median(Array.from({ length: 50 }, () => cpuMs(() => compilePolicy(POLICY, 'workflow-policy.yml', shippedPresets))));
  const policy = compilePolicy(POLICY, 'workflow-policy.yml', shippedPresets).policy;
  if (!policy) throw new Error('the benchmark policy is invalid');
  console.log(`Policy compile (parse, schema, extends, defaults): first in process ${coldCompile.toFixed(2)} ms CPU (ajv compiles the schema once), then median ${warmCompile.toFixed(2)} ms (target < 10 ms)`);

  for (const spec of CASES.filter((candidate) => candidate.nodes >= 50)) {
    const { gh, root } = synthesize(spec);
    const graph = await resolveCallGraph([root], { source: new InstantSource(gh), cache: new MemoryCacheStore(), limits: GITHUB_COM_LIMITS });
    const repository: RepoMetadata = { repo: root.repo, visibility: 'private', archived: false };
    // Facts as the gatherer would give them: every tag's commit known and reachable.
    const refFacts = new Map<string, RefFacts>();
    for (const edge of graph.edges) {
      const reference = edge.uses.reference;
      if (reference.kind !== 'remote-workflow' && reference.kind !== 'action') continue;
      const key = `${reference.owner}/${reference.repo}`.toLowerCase();
      const facts = refFacts.get(key) ?? { tagsByCommit: new Map(), reachable: new Map() };
      const commit = edge.resolvedRef?.commit ?? reference.ref.toLowerCase();
      if (edge.resolvedRef) facts.tagsByCommit.set(commit, [edge.resolvedRef.name]);
      facts.reachable.set(commit, true);
      refFacts.set(key, facts);
    }
    const evaluate = () => evaluatePolicy({ graph, policy, repository, refFacts, now: new Date('2026-11-21T00:00:00Z') }, ALL_RULES);
    const findings = evaluate().findings.length;
    // Warm-up: the first runs in a process pay for the JIT.
    for (let run = 0; run < 50; run++) evaluate();
    const samples = Array.from({ length: 25 }, () => cpuMs(evaluate));
    console.log(
      `${spec.name.padEnd(36)}  every rule over ${graph.nodes.size} workflows and actions and ${graph.edges.length} calls and uses: median ${median(samples).toFixed(2)} ms CPU, ${findings} findings (target < ${spec.steps === undefined ? 5 : 10} ms)`,
    );
  }
}

await main();
