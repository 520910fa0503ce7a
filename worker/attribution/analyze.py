"""One analysis of one text: predict, attribute, measure faithfulness, lay scores onto the tokens.

Takes a model and a tokenizer (not ids), so the same path serves stored samples, what-if texts,
the worker task, the benchmark and the tests.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from backend.core.analyses.results import AnalysisResult, Faithfulness, TokenOut
from backend.core.specs.analysis_methods import METHODS
from backend.core.text.token_view import token_view
from backend.core.text.tokenizer import TextTokenizer
from worker.attribution.faithfulness import faithfulness
from worker.attribution.forward import predict_ids
from worker.attribution.methods import Inputs, attribute
from worker.models.base import TextClassifier


class EmptyText(ValueError):
    pass


def analyze_text(model: TextClassifier, tokenizer: TextTokenizer, text: str, method: str,
                 params: dict[str, Any], classes: Sequence[str]) -> AnalysisResult:
    """The full analysis of `text`; `params` are validated here (defaults filled in)."""
    p = METHODS[method](**params)
    started = time.perf_counter()
    encoded = tokenizer.encode(text)
    limit = model.max_input_tokens()
    if limit is not None and limit < encoded.max_length:
        # The visible limit everywhere (scores, flags, faithfulness and its random baseline) is what the model
        # reads, not only what the tokenizer keeps.
        encoded = replace(encoded, max_length=limit)
    ids = encoded.model_ids
    if not ids:
        raise EmptyText("the text has no tokens")
    probs = predict_ids(model, [ids])[0]
    predicted = int(np.argmax(probs))
    replacement = None
    if method == "counterfactual" and p.replace_with is not None:  # type: ignore[attr-defined]
        replacement = tokenizer.encode(p.replace_with).ids[:1] or None  # type: ignore[attr-defined]
    inp = Inputs(model, torch.as_tensor([ids], dtype=torch.long),
                 torch.as_tensor([len(ids)], dtype=torch.long),
                 replacement_id=replacement[0] if replacement else None)
    result = attribute(method, inp, p)
    attributed = time.perf_counter()
    faith = faithfulness(model, ids, result.scores[predicted], predicted, float(probs[predicted]))
    done = time.perf_counter()

    extras = dict(result.extras)
    delta = extras.pop("convergence_delta", None)
    n_steps = extras.pop("n_steps", None)
    cf = extras.pop("counterfactual_probabilities", None)
    tokens = []
    for row in token_view(text, encoded):
        i = row["i"]
        if not row["beyond_max_length"]:
            row["attribution"] = [float(result.scores[c, i]) for c in range(result.scores.shape[0])]
            if cf is not None:
                row["counterfactual_probabilities"] = cf[i]
        tokens.append(TokenOut(**row))
    return AnalysisResult(
        method=method,  # type: ignore[arg-type]
        params=p.model_dump(), classes=list(classes), prediction=predicted,
        probabilities=[float(x) for x in probs], tokens=tokens, token_count=encoded.token_count,
        visible_count=len(ids), max_length=encoded.max_length, convergence_delta=delta, n_steps=n_steps,
        extras=extras, faithfulness=Faithfulness(**faith),
        timing={"attribution": attributed - started, "faithfulness": done - attributed,
                "total": done - started},
    )
