// The resolved call graph as a picture: Mermaid (GitHub renders ```mermaid blocks in Markdown), Graphviz DOT,
// and JSON for other tools. Drawn from the graph's nodes and edges through one small table per kind (workflows,
// actions, docker images, what could not be read; job calls and step uses), so a new kind needs only its entry.
//
// What is drawn passes the redactor (an inactive one shows everything): a call into a repository whose name
// is hidden reads as "a private workflow" and ends there; a workflow whose contents are hidden is drawn, its
// own calls are not.
import type { CallGraph, GraphEdge, NodeKey, NodeKind } from '../graph/types.js';
import { repoFullName } from '../graph/types.js';
import { calledRepo, describeNode, REDACTED_CALL } from './chain.js';
import { UNREAD_REASONS } from './check-run.js';
import { nodePath } from './locate.js';
import type { Redactor } from './redact.js';

/**
 * What a node of the picture stands for: the graph's own kinds, a docker image a step runs (a leaf), and `unread`,
 * a target that could not be read or was not followed.
 */
export type PictureNodeKind = NodeKind | 'image' | 'unread';
/** The graph's edge kinds: `workflow`, a job's `uses:` of a reusable workflow; `action`, a step's `uses:`. */
export type PictureEdgeKind = GraphEdge['kind'];

export interface PictureNode {
  id: string;
  kind: PictureNodeKind;
  label: string;
  /** A top-level file of the repository. */
  root: boolean;
  /** The node's identity in the graph (`owner/repo/path@commit`), when it is one and may be shown. */
  key: string | null;
}

export interface PictureEdge {
  from: string;
  to: string;
  kind: PictureEdgeKind;
  /** The calling job (`build`), and for a step its number (`build step 2`; `step 2` in a composite action). */
  label: string;
  /** The call as written (hidden names replaced). */
  uses: string;
  /** Line of the `uses:` in the calling file. */
  line: number;
}

export interface GraphPicture {
  version: 1;
  host: string;
  nodes: PictureNode[];
  edges: PictureEdge[];
}

interface KindStyle {
  /** Mermaid's opening and closing shape brackets around the label. */
  mermaid: [string, string];
  /** Graphviz node attributes. */
  dot: Record<string, string>;
}

/** How each kind is drawn. */
const NODE_KINDS: Record<PictureNodeKind, KindStyle> = {
  workflow: { mermaid: ['[', ']'], dot: { shape: 'box' } },
  action: { mermaid: ['(', ')'], dot: { shape: 'box', style: 'rounded' } },
  image: { mermaid: ['[(', ')]'], dot: { shape: 'cylinder' } },
  unread: { mermaid: ['[/', '/]'], dot: { shape: 'box', style: 'dashed' } },
};

const EDGE_KINDS: Record<PictureEdgeKind, { mermaid: string; dot: Record<string, string> }> = {
  workflow: { mermaid: '-->', dot: {} },
  action: { mermaid: '-.->', dot: { style: 'dashed' } },
};

/** Top-level files stand out in every format. */
const ROOT_STYLE = { mermaid: 'stroke-width:3px', dot: { style: 'bold' } };

function edgeLabel(edge: GraphEdge): string {
  if (edge.kind === 'workflow') return edge.jobId;
  const step = `step ${edge.step + 1}`;
  return edge.jobId === undefined ? step : `${edge.jobId} ${step}`;
}

export function buildPicture(graph: CallGraph, redactor: Redactor): GraphPicture {
  const nodes: PictureNode[] = [];
  const edges: PictureEdge[] = [];
  const ids = new Map<NodeKey, string>();
  const cuts = new Map<GraphEdge, string>();
  for (const stats of graph.stats.values()) for (const cut of stats.cuts) cuts.set(cut.edge, cut.reason);
  const add = (node: Omit<PictureNode, 'id'>): string => {
    const id = `n${nodes.length}`;
    nodes.push({ id, ...node });
    return id;
  };
  const nodeId = (key: NodeKey): string => {
    let id = ids.get(key);
    if (id === undefined) {
      const node = graph.nodes.get(key);
      const root = graph.roots.includes(key);
      const hidden = node !== undefined && redactor.hidesContent(node.address.repo);
      // A hidden workflow is named as the line calling it could, without the commit it is at.
      const label = root ? nodePath(graph, key) : hidden && node ? `${repoFullName(node.address.repo)}/${node.address.path}` : describeNode(graph, key);
      id = add({ kind: node?.kind ?? 'unread', label, root, key: hidden ? null : key });
      ids.set(key, id);
    }
    return id;
  };
  for (const root of graph.roots) nodeId(root);
  for (const edge of graph.edges) {
    const caller = graph.nodes.get(edge.from);
    // The calls written inside a hidden workflow are its contents.
    if (caller !== undefined && redactor.hidesContent(caller.address.repo)) continue;
    const from = nodeId(edge.from);
    const callee = calledRepo(graph, edge);
    let to: string;
    if (edge.uses.reference.kind === 'docker') to = add({ kind: 'image', label: edge.uses.raw, root: false, key: null });
    else if (redactor.hidesName(callee)) to = add({ kind: 'unread', label: REDACTED_CALL, root: false, key: null });
    else if (edge.to !== undefined && graph.nodes.has(edge.to) && !cuts.has(edge)) to = nodeId(edge.to);
    else to = add({ kind: 'unread', label: `${edge.uses.raw} (${unreadReason(edge, cuts.get(edge))})`, root: false, key: null });
    edges.push({ from, to, kind: edge.kind, label: edgeLabel(edge), uses: redactor.scrub(edge.uses.raw), line: edge.range.start.line });
  }
  return { version: 1, host: graph.host, nodes: nodes.map((node) => ({ ...node, label: redactor.scrub(node.label) })), edges };
}

function unreadReason(edge: GraphEdge, cut: string | undefined): string {
  if (cut !== undefined) return `not followed: ${cut} limit`;
  // `network` also stands for the CLI without a token, where GitHub was never asked.
  if (edge.error !== undefined) return edge.error.kind === 'network' ? 'not read' : UNREAD_REASONS[edge.error.kind];
  return edge.kind === 'action' && edge.workspaceUnknown !== undefined ? 'workspace unknown' : 'not read';
}

// ---- Mermaid ------------------------------------------------------------------------------------------

export function renderMermaid(picture: GraphPicture): string {
  const lines = ['flowchart LR'];
  for (const node of picture.nodes) {
    const [open, close] = NODE_KINDS[node.kind].mermaid;
    lines.push(`  ${node.id}${open}"${mermaidText(node.label)}"${close}`);
  }
  for (const edge of picture.edges) {
    lines.push(`  ${edge.from} ${EDGE_KINDS[edge.kind].mermaid}|"${mermaidText(edge.label)}"| ${edge.to}`);
  }
  const roots = picture.nodes.filter((node) => node.root).map((node) => node.id);
  if (roots.length > 0) lines.push(`  style ${roots.join(',')} ${ROOT_STYLE.mermaid}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Inside a quoted Mermaid label: `"` would end it and `#…;` is an entity, so both are written as entities; a
 * backtick would start Markdown; a label stays on one line.
 */
function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/`/g, '#96;')
    .replace(/\s*[\r\n]+\s*/g, ' ');
}

// ---- DOT ----------------------------------------------------------------------------------------------

export function renderDot(picture: GraphPicture): string {
  const lines = ['digraph "call graph" {', '  rankdir=LR;'];
  for (const node of picture.nodes) {
    const attributes = { label: node.label, ...NODE_KINDS[node.kind].dot, ...(node.root && ROOT_STYLE.dot) };
    lines.push(`  ${node.id} [${dotAttributes(attributes)}];`);
  }
  for (const edge of picture.edges) {
    lines.push(`  ${edge.from} -> ${edge.to} [${dotAttributes({ label: edge.label, ...EDGE_KINDS[edge.kind].dot })}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function dotAttributes(attributes: Record<string, string>): string {
  return Object.entries(attributes)
    .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`)
    .join(', ');
}

// ---- JSON ---------------------------------------------------------------------------------------------

export function renderPictureJson(picture: GraphPicture): string {
  return `${JSON.stringify(picture, null, 2)}\n`;
}
