import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { Fragment, useMemo, useState } from "react";
import type { Dataset, Version } from "../api/client";
import { useDatasets } from "../api/datasets";
import { useVersionGraph } from "../api/versions";
import { Empty, QueryView } from "../components/States";
import { layoutGraph, NODE_W, nodeHeight, parseGraph, type GraphNode, type ModelGraph } from "../lib/graphLayout";
import { datasetFacts, trainingFacts, withDataset, type Fact } from "../lib/networkDetails";

type LayerNode = Node<{ layer: GraphNode }, "layer">;

function LayerNodeView({ data, selected }: NodeProps<LayerNode>) {
  const { layer } = data;
  return (
    <div
      className={`net-node kind-${layer.kind} ${selected ? "selected" : ""}`}
      style={{ width: NODE_W, height: nodeHeight(layer) }}
      data-node-id={layer.id}
      aria-selected={selected}
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

function Facts({ facts, testId }: { facts: readonly Fact[]; testId: string }) {
  return (
    <dl className="kv" data-testid={testId}>
      {facts.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** What the details panel says of a node: the dataset's facts, training's for loss and optimizer, else the layer's. */
function NodeDetails({ node, version, dataset }: { node: GraphNode; version: Version; dataset: Dataset | null }) {
  if (node.kind === "dataset" && dataset) return <Facts facts={datasetFacts(dataset)} testId="node-details" />;
  if (node.kind === "loss" || node.kind === "optimizer")
    return (
      <Facts
        facts={[["Layer", node.label], ...trainingFacts(version, node.kind === "loss" ? node.label : null)]}
        testId="node-details"
      />
    );
  return (
    <Facts
      facts={[
        ["Layer", node.label],
        ["Id", node.id],
        ["Kind", node.kind],
        ["Output shape", node.shape.length ? `(${node.shape.join(", ")})` : "–"],
        ["Parameters", node.params.toLocaleString()],
      ]}
      testId="node-details"
    />
  );
}

function GraphCanvas({ graph, version, dataset }: { graph: ModelGraph; version: Version; dataset: Dataset | null }) {
  const [pickedId, setPickedId] = useState<string | null>(null);
  const picked = graph.nodes.find((n) => n.id === pickedId) ?? null;
  const layout = useMemo(() => layoutGraph(graph), [graph]);
  // The selection is ours (the nodes are controlled): the picked node is drawn selected, and the edges into
  // and out of it stand out.
  const { nodes, edges } = useMemo(() => {
    const nodes: LayerNode[] = graph.nodes.map((n) => ({
      id: n.id,
      type: "layer",
      position: layout.get(n.id) ?? { x: 0, y: 0 },
      data: { layer: n },
      selected: n.id === pickedId,
    }));
    const edges: Edge[] = graph.edges.map((e) => {
      const near = pickedId !== null && (e.source === pickedId || e.target === pickedId);
      return {
        id: `${e.source}->${e.target}`,
        source: e.source,
        target: e.target,
        animated: near,
        style: near ? { stroke: "#4f8cff", strokeWidth: 2 } : undefined,
      };
    });
    return { nodes, edges };
  }, [graph, layout, pickedId]);
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
          onNodeClick={(_, n) => setPickedId(n.id)}
          onPaneClick={() => setPickedId(null)}
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
          <NodeDetails node={picked} version={version} dataset={dataset} />
        ) : (
          <p className="muted small">
            Click a node for its details: the dataset (source, splits, tokenizer), a layer, or the loss and optimizer
            (the training settings). Wheel zooms, drag pans.
          </p>
        )}
      </aside>
    </div>
  );
}

export function NetworkView({ version }: { version: Version | null }) {
  const q = useVersionGraph(version?.id ?? null);
  // The project's datasets are already loaded for the side panel: the version's one feeds the dataset node.
  const datasets = useDatasets(version?.project_id ?? -1);
  const dataset = datasets.data?.find((d) => d.id === version?.dataset_id) ?? null;
  const graph = useMemo(() => (q.data ? withDataset(parseGraph(q.data.graph), dataset) : null), [q.data, dataset]);
  if (!version) return <Empty>No version yet: train one with “Train…” on the left to see its network.</Empty>;
  return (
    <QueryView query={q} loading="Loading the graph…">
      {() =>
        !graph || graph.nodes.length === 0 || graph.nodes.every((n) => n.kind === "dataset") ? (
          <Empty>The graph appears when training starts.</Empty>
        ) : (
          <GraphCanvas graph={graph} version={version} dataset={dataset} />
        )
      }
    </QueryView>
  );
}
