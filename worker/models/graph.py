"""Builder for `TextClassifier.describe()`: the layer graph the network view draws.

Same shape as TextCNN's hand-written graph: nodes {id, kind, label, shape, params}, edges
{source, target}, plus the architecture and total parameter count.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from worker.models.base import param_count


class LayerGraph:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, str]] = []
        self._last: str | None = None

    def add(self, node_id: str, kind: str, label: str, shape: list[Any], module: nn.Module | None = None,
            after: str | list[str] | None = None) -> LayerGraph:
        """Append a node; it follows `after` (default: the previously added node)."""
        self.nodes.append({"id": node_id, "kind": kind, "label": label, "shape": shape,
                           "params": param_count(module) if module is not None else 0})
        sources = [after] if isinstance(after, str) else after if after is not None else (
            [self._last] if self._last is not None else [])
        self.edges += [{"source": s, "target": node_id} for s in sources]
        self._last = node_id
        return self

    def finish(self, model: nn.Module, architecture: str, loss: str, optimizer: str) -> dict[str, Any]:
        self.add("loss", "loss", loss, [])
        self.add("optimizer", "optimizer", optimizer, [])
        return {"architecture": architecture, "nodes": self.nodes, "edges": self.edges,
                "total_params": param_count(model)}
