"""bench/gpu_check.py runs end to end (on the CPU at small sizes here) so that it cannot rot between GPU runs."""

from __future__ import annotations

import pytest
import torch

from bench import gpu_check


def test_gpu_check_runs_every_part(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    torch.set_num_threads(1)
    monkeypatch.setenv("GPU_CHECK_N", "64")
    monkeypatch.setenv("GPU_CHECK_MINILM_N", "8")
    figures = gpu_check.main()
    out = capsys.readouterr().out
    assert out.strip().endswith("gpu_check=ok")
    for key in ("cnn_epoch_eval_seconds", "lstm_packed_vs_padded_logit_diff", "bilstm_packed_vs_padded_grad_rel_diff",
                "minilm_finetune_epoch_seconds", "ig_max_completeness_gap", "gpu_claim_index"):
        assert key in figures and f"{key}=" in out
    assert figures["cnn_reviews"] == 64
