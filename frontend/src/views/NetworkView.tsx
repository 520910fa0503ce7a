import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo, useState } from "react";
import type { Version } from "../api/client";
import { useVersionGraph } from "../api/versions";
import { Empty, QueryView } from "../components/States";
import { layoutGraph, NODE_H, NODE_W, parseGraph, type GraphNode, type ModelGraph } from "../lib/graphLayout";

type LayerNode = Node<{ layer: GraphNode }, "layer">;

function LayerNodeView({ data, selected }: NodeProps<LayerNode>) {
  const { layer } = data;
  return (
    <div
      className={`net-node kind-${layer.kind} ${selected ? "selected" : ""}`}
      style={{ width: NODE_W, height: NODE_H }}
    >
      <Handle type="target" position={Position.Top} />
      <div className="net-node-label" title={layer.label}>
        {layer.label}
      </div>
      <div className="net-node-meta">
        <span>{layer.shape.length ? `(${layer.shape.join(", ")})` : layer.kind}</span>
        {layer.params > 0 && <span>{layer.params.toLocaleString()} params</span>}
      </div>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

const nodeTypes = { layer: LayerNodeView };

function GraphCanvas({ graph }: { graph: ModelGraph }) {
  const [picked, setPicked] = useState<GraphNode | null>(null);
  const { nodes, edges } = useMemo(() => {
    const pos = layoutGraph(graph);
    const nodes: LayerNode[] = graph.nodes.map((n) => ({
      id: n.id,
      type: "layer",
      position: pos.get(n.id) ?? { x: 0, y: 0 },
      data: { layer: n },
    }));
    const edges: Edge[] = graph.edges.map((e) => ({
      id: `${e.source}->${e.target}`,
      source: e.source,
      target: e.target,
      animated: false,
    }));
    return { nodes, edges };
  }, [graph]);
  return (
    <div className="network">
      <div className="network-canvas" data-testid="network-canvas">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          colorMode="dark"
          nodesDraggable={false}
          onNodeClick={(_, n) => setPicked(n.data.layer)}
          onPaneClick={() => setPicked(null)}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={24} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <aside className="network-details">
        <h3>{graph.architecture?.toUpperCase() ?? "Model"}</h3>
        {graph.total_params !== undefined && (
          <p className="muted">{graph.total_params.toLocaleString()} parameters in total</p>
        )}
        {picked ? (
          <dl className="kv" data-testid="node-details">
            <dt>Layer</dt>
            <dd>{picked.label}</dd>
            <dt>Id</dt>
            <dd>{picked.id}</dd>
            <dt>Kind</dt>
            <dd>{picked.kind}</dd>
            <dt>Output shape</dt>
            <dd>{picked.shape.length ? `(${picked.shape.join(", ")})` : "–"}</dd>
            <dt>Parameters</dt>
            <dd>{picked.params.toLocaleString()}</dd>
          </dl>
        ) : (
          <p className="muted small">Click a layer for its details. Wheel zooms, drag pans.</p>
        )}
      </aside>
    </div>
  );
}

export function NetworkView({ version }: { version: Version | null }) {
  const q = useVersionGraph(version?.id ?? null);
  if (!version) return <Empty>No version yet: train one with “Train…” on the left to see its network.</Empty>;
  return (
    <QueryView query={q} loading="Loading the graph…">
      {(data) => {
        const graph = parseGraph(data.graph);
        return graph.nodes.length === 0 ? (
          <Empty>The graph appears when training starts.</Empty>
        ) : (
          <GraphCanvas graph={graph} />
        );
      }}
    </QueryView>
  );
}
