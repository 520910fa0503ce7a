"""Adagrad whose sparse-gradient step touches only the rows a batch used.

torch.optim.Adagrad's sparse path adds a sparse tensor into the dense accumulator and into the weights
(`dense.add_(sparse)`), which on CPU costs passes over the whole table: for the n-gram model's 500k x 64
pair table that was most of a training step (about 50 ms of a 75 ms step, one thread). The same update
written as index_select / index_copy_ / index_add_ on the coalesced rows costs what those rows cost.

The arithmetic is torch's, operation for operation (sum += g²; std = sqrt(sum) + eps; w -= lr · g / std),
the state is torch's ("step", "sum"), so checkpoints load into either class and a run resumes unchanged.
Dense gradients go through torch's own step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


class RowAdagrad(torch.optim.Adagrad):
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> Any:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        held: list[tuple[Tensor, Tensor]] = []
        try:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None or not p.grad.is_sparse:
                        continue
                    if group["weight_decay"] != 0:
                        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
                    if group["maximize"]:
                        raise RuntimeError("maximize is not supported with sparse gradients")
                    self._step_rows(p, p.grad, group)
                    # Hidden from torch's step, which would update these parameters a second time.
                    held.append((p, p.grad))
                    p.grad = None
            super().step()
        finally:
            for p, grad in held:
                p.grad = grad
        return loss

    def _step_rows(self, param: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        state = self.state[param]
        step_t = state["step"]
        step_t += 1
        clr = group["lr"] / (1 + (float(step_t) - 1) * group["lr_decay"])
        grad = grad.coalesce()  # the update is non-linear in the gradient: each row once
        rows, values = grad.indices()[0], grad.values()
        if values.dim() == 1:  # a sparse vector: one value per row
            values = values.unsqueeze(-1)
        table, sums = param.view(param.shape[0], -1), state["sum"].view(param.shape[0], -1)
        row_sums = sums.index_select(0, rows).add_(values.pow(2))
        sums.index_copy_(0, rows, row_sums)
        std = row_sums.sqrt_().add_(group["eps"])
        table.index_add_(0, rows, values / std, alpha=-clr)
