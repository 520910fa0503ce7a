/** Lays the model graph out top to bottom with dagre. */
import dagre from "@dagrejs/dagre";

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  shape: (string | number)[];
  params: number;
}
export interface GraphEdge {
  source: string;
  target: string;
}
export interface ModelGraph {
  architecture?: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  total_params?: number;
}

export const NODE_W = 230;
export const NODE_H = 64;
/** Characters of a 12 px bold label that surely fit one line of a node (a conservative count: wide letters). */
const LINE_CHARS = 26;

/**
 * A node's height: tall enough for its whole label wrapped (no text cut off), never under NODE_H. The
 * layout spaces nodes by it, so a tall node pushes the next rank down.
 */
export function nodeHeight(n: Pick<GraphNode, "label">): number {
  const lines = Math.max(1, Math.ceil(n.label.length / LINE_CHARS));
  return Math.max(NODE_H, 42 + 16 * lines);
}

/** Validate the free-form graph JSON the API serves; anything malformed is dropped. */
export function parseGraph(raw: Record<string, unknown>): ModelGraph {
  const nodes = Array.isArray(raw.nodes) ? (raw.nodes as Record<string, unknown>[]) : [];
  const edges = Array.isArray(raw.edges) ? (raw.edges as Record<string, unknown>[]) : [];
  const parsed = nodes
    .filter((n) => n && typeof n.id === "string")
    .map((n) => ({
      id: n.id as string,
      kind: typeof n.kind === "string" ? n.kind : "layer",
      label: typeof n.label === "string" ? n.label : (n.id as string),
      shape: Array.isArray(n.shape) ? (n.shape as (string | number)[]) : [],
      params: typeof n.params === "number" ? n.params : 0,
    }));
  const ids = new Set(parsed.map((n) => n.id));
  return {
    architecture: typeof raw.architecture === "string" ? raw.architecture : undefined,
    total_params: typeof raw.total_params === "number" ? raw.total_params : undefined,
    nodes: parsed,
    edges: edges
      .filter((e) => e && ids.has(e.source as string) && ids.has(e.target as string))
      .map((e) => ({ source: e.source as string, target: e.target as string })),
  };
}

export function layoutGraph(g: ModelGraph): Map<string, { x: number; y: number }> {
  // dagre writes each node's centre (x, y) into the label it was given.
  const d = new dagre.graphlib.Graph<object, { width: number; height: number; x?: number; y?: number }>();
  d.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 50 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) d.setNode(n.id, { width: NODE_W, height: nodeHeight(n) });
  for (const e of g.edges) d.setEdge(e.source, e.target);
  dagre.layout(d);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of g.nodes) {
    const p = d.node(n.id);
    out.set(n.id, { x: (p?.x ?? 0) - NODE_W / 2, y: (p?.y ?? 0) - nodeHeight(n) / 2 });
  }
  return out;
}
