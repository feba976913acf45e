// Privacy on public repositories. A public repository's check run is public, so it must never show the
// names or contents of private or internal repositories beyond what the PR's own lines already show.
//
// Two things are hidden, separately:
// - a repository's *contents* (the calls, jobs, inputs, secrets and commits of its workflows) when it is
//   private or internal, or when its visibility is unknown (not readable: fail safe);
// - its *name* as well, unless the name already appears in the text of a top-level file.
// Renderers pass every string they build through `scrub`, and ask `hidesDetails` before showing a
// finding's message or fix.
import type { Finding, Fix } from '../engine/types.js';
import type { CallGraph, NodeKey, RepoId, RepoMetadata } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import type { RuleId } from '../policy/types.js';
import { calledRepo as spelledRepo } from '../rules/describe.js';
import { calledRepo, callerRepo, REDACTED_CALL, repoOfNodeKey, type ChainOptions } from './chain.js';

/** What a hidden repository's name reads as. */
export const REDACTED_REPOSITORY = 'a private repository';

export interface RedactorInput {
  graph: CallGraph;
  /** The repository the check is posted on. */
  repository: RepoMetadata;
  /** The texts of the top-level files: names written there are shown by the PR already. */
  rootTexts: readonly string[];
  /** Repositories known to be public from outside the graph (callers in the index, by their indexed visibility). */
  publicRepositories?: readonly RepoId[];
}

export interface Redactor {
  /** False on a private or internal repository: nothing needs hiding there. */
  readonly active: boolean;
  /** Whether the contents of the repository's workflows must not be shown. */
  hidesContent(repo: RepoId): boolean;
  /** Whether the repository's name must not be shown (its contents never are then). */
  hidesName(repo: RepoId): boolean;
  /**
   * Whether a finding's message and fix come from inside a workflow whose contents are hidden. Such a
   * finding is shown by its rule id, its severity and the visible part of its chain only.
   */
  hidesDetails(finding: Finding): boolean;
  /** Whether a fix (and the text it renders to) is derived from hidden contents. */
  hidesFix(finding: Finding, fix: Fix): boolean;
  /**
   * `text` with every hidden name replaced, case-insensitively: a workflow reference naming it
   * (`owner/name/path@ref`) by "a private workflow", the bare `owner/name` by "a private repository".
   * `mentions` adds names the graph does not hold (a finding's `mentions`, a renamed repository's new name).
   */
  scrub(text: string, mentions?: readonly RepoId[]): string;
  /** For `formatChain`: calls into hidden names and calls written inside hidden contents are not shown. */
  readonly chainOptions: ChainOptions;
}

/**
 * Rules whose messages describe the call as its line writes it and the callee repository's access
 * metadata, never the callee's contents: their message stays (names scrubbed) for a call into a
 * repository whose contents are hidden. Every other rule's finding about such a call reads the callee
 * (its inputs, secrets, permissions, tags, depth) and is shown without details.
 */
const CALL_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['visibility', 'resolution', 'allowed-sources', 'secrets-inherit']);

/** Fixes that change the caller's own line or settings without reading the callee's contents. */
const CALL_FIX_KINDS: ReadonlySet<Fix['kind']> = new Set<Fix['kind']>(['replace-uses', 'replace-step-uses', 'remove-keys', 'repository-setting', 'edit-policy']);

const NAME_CHARS = '[A-Za-z0-9_.-]';

export function createRedactor(input: RedactorInput): Redactor {
  if (input.repository.visibility !== 'public') {
    return inactiveRedactor();
  }
  return new PublicRedactor(input);
}

/** Shows everything: for readers who may see every repository the graph names (a private repository's check, a person at a terminal). */
export function inactiveRedactor(): Redactor {
  return {
    active: false,
    hidesContent: () => false,
    hidesName: () => false,
    hidesDetails: () => false,
    hidesFix: () => false,
    scrub: (text) => text,
    chainOptions: {},
  };
}

class PublicRedactor implements Redactor {
  readonly active = true;
  readonly chainOptions: ChainOptions;
  private readonly graph: CallGraph;
  private readonly repository: RepoMetadata;
  private readonly rootTexts: readonly string[];
  /** Every repository the graph names, by key: candidates for scrubbing. */
  private readonly known = new Map<string, RepoId>();
  private readonly namedInPr = new Map<string, boolean>();
  private readonly patterns = new Map<string, RegExp>();
  private readonly publicRepositories: ReadonlySet<string>;

  constructor(input: RedactorInput) {
    this.graph = input.graph;
    this.publicRepositories = new Set((input.publicRepositories ?? []).map(repoKey));
    this.repository = input.repository;
    this.rootTexts = input.rootTexts;
    this.collectNames();
    this.chainOptions = { redact: (repo) => this.hidesName(repo), hideContent: (repo) => this.hidesContent(repo) };
  }

  hidesContent(repo: RepoId): boolean {
    const key = repoKey(repo);
    if (key === repoKey(this.repository.repo) || this.publicRepositories.has(key)) {
      return false;
    }
    const metadata = this.graph.repos.get(key);
    // Unknown (not readable, or never asked): fail safe.
    return metadata === undefined || !('visibility' in metadata) || metadata.visibility !== 'public';
  }

  hidesName(repo: RepoId): boolean {
    return this.hidesContent(repo) && !this.isNamedInPr(repo);
  }

  hidesDetails(finding: Finding): boolean {
    if (finding.location.node !== finding.root && this.hidesContent(this.repoOfNode(finding.location.node))) {
      return true;
    }
    // A call written inside a hidden workflow is its contents.
    if (finding.chain.some((edge) => this.hidesContent(callerRepo(this.graph, edge)))) {
      return true;
    }
    const last = finding.chain.at(-1);
    return last !== undefined && !CALL_RULES.has(finding.ruleId) && this.hidesContent(calledRepo(this.graph, last));
  }

  hidesFix(finding: Finding, fix: Fix): boolean {
    if (this.hidesDetails(finding)) {
      return true;
    }
    if ('node' in fix && this.hidesContent(this.repoOfNode(fix.node))) {
      return true;
    }
    const last = finding.chain.at(-1);
    return last !== undefined && this.hidesContent(calledRepo(this.graph, last)) && !CALL_FIX_KINDS.has(fix.kind);
  }

  scrub(text: string, mentions: readonly RepoId[] = []): string {
    const hidden = new Set<string>();
    for (const repo of [...this.known.values(), ...mentions]) {
      const key = repoKey(repo);
      if (!hidden.has(key) && this.hidesName(repo)) {
        hidden.add(key);
      }
    }
    if (hidden.size === 0) {
      return text;
    }
    return text.replace(this.pattern([...hidden]), (_match, workflow: string | undefined) => (workflow === undefined ? REDACTED_REPOSITORY : REDACTED_CALL));
  }

  /** One pattern per set of hidden names (compiled once: renderers scrub every string they build). */
  private pattern(keys: string[]): RegExp {
    // Longest first, so `o/app-tools` is replaced before `o/app` could match inside it.
    const names = keys.sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRegExp);
    const source = names.join('|');
    let pattern = this.patterns.get(source);
    if (pattern === undefined) {
      // A name not glued to a longer one (a trailing dot ends a sentence); optionally the workflow path and ref after it.
      pattern = new RegExp(`(?<!${NAME_CHARS})(?:${source})(/[\\w.*/-]*[\\w*-](?:@[\\w.*/+-]*[\\w*+-])?)?(?![\\w-]|\\.[\\w-])`, 'gi');
      this.patterns.set(source, pattern);
    }
    return pattern;
  }

  private isNamedInPr(repo: RepoId): boolean {
    const key = repoKey(repo);
    let named = this.namedInPr.get(key);
    if (named === undefined) {
      const pattern = new RegExp(`(?<!${NAME_CHARS})${escapeRegExp(key)}(?![\\w-]|\\.[\\w-])`, 'i');
      named = this.rootTexts.some((text) => pattern.test(text));
      this.namedInPr.set(key, named);
    }
    return named;
  }

  private repoOfNode(key: NodeKey): RepoId {
    return this.graph.nodes.get(key)?.address.repo ?? repoOfNodeKey(key);
  }

  private collectNames(): void {
    const add = (repo: RepoId | undefined): void => {
      if (repo !== undefined && repo.owner !== '' && repo.name !== '') {
        this.known.set(repoKey(repo), repo);
      }
    };
    for (const [key, metadata] of this.graph.repos) {
      add('repo' in metadata ? metadata.repo : repoOfNodeKey(key));
      add(repoOfNodeKey(key));
    }
    for (const node of this.graph.nodes.values()) {
      add(node.address.repo);
    }
    for (const edge of this.graph.edges) {
      // An invalid `uses:` may still spell a repository's name.
      add(spelledRepo(this.graph, edge));
      add(edge.error?.renamedTo);
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
