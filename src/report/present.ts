// A finding's texts as a reader may see them: its message, chain, site and fix, each passed through the
// redactor (an inactive one shows everything). The check run and the command line lay these out; what is
// hidden on a public surface is decided here once.
import type { Finding } from '../engine/types.js';
import type { CallGraph } from '../graph/types.js';
import type { SourceRange } from '../workflow/model.js';
import { describeNode, formatChain } from './chain.js';
import { renderFix, type RenderedFix } from './fix-text.js';
import { locateFinding, nodePath } from './locate.js';
import type { Redactor } from './redact.js';

export interface PresentedFinding {
  finding: Finding;
  /** The top-level file, where the finding is annotated: its site, or the call that leads there. */
  path: string;
  range: SourceRange;
  message: string;
  /** The chain, when it has more than one call. */
  chain?: string;
  /** Where the problem is when that is below the top-level file (not shown when its details are hidden). */
  site?: { workflow: string; range: SourceRange };
  fix?: RenderedFix;
}

export function presentFinding(graph: CallGraph, redactor: Redactor, finding: Finding): PresentedFinding {
  const place = locateFinding(graph, finding);
  const hidden = redactor.hidesDetails(finding);
  const scrub = (text: string): string => redactor.scrub(text, finding.mentions);
  const presented: PresentedFinding = {
    finding,
    path: place.path,
    range: place.range,
    message: hidden ? hiddenMessage(finding) : scrub(finding.message),
  };
  if (finding.chain.length > 1) {
    presented.chain = scrub(formatChain(graph, finding, redactor.chainOptions));
  }
  if (!hidden && place.site.node !== finding.root) {
    presented.site = { workflow: scrub(describeNode(graph, place.site.node)), range: place.site.range };
  }
  if (finding.fix !== undefined && !redactor.hidesFix(finding, finding.fix)) {
    presented.fix = scrubFix(renderFix(graph, finding.fix, { edit: false }), scrub);
  }
  return presented;
}

/** Whether the place found is in the top-level file (it is, unless the file's own node is missing). */
export function inTopLevelFile(graph: CallGraph, presented: PresentedFinding): boolean {
  return presented.path === nodePath(graph, presented.finding.root);
}

function hiddenMessage(finding: Finding): string {
  const where = finding.chain.length <= 1 ? 'The workflow this call names breaks' : 'A workflow this call reaches breaks';
  return `${where} the ${finding.ruleId} rule. It is in a private or internal repository (or one the app cannot read), so its details are not shown in this public repository.`;
}

/** A copyable text with a name replaced is no longer copyable: only the summary stays then. */
function scrubFix(fix: RenderedFix, scrub: (text: string) => string): RenderedFix {
  const summary = scrub(fix.summary);
  const text = fix.text === undefined ? undefined : scrub(fix.text);
  return text === undefined || text !== fix.text ? { summary } : { summary, text };
}
