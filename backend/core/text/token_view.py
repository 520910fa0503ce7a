"""Per-token view of a text, as the UI paints it: original text, span, OOV and truncation flags.

Shared by the API's token endpoint (no model) and the worker's analyses (which add scores), so
both describe a token the same way.
"""

from __future__ import annotations

from typing import Any

from backend.core.text.tokenizer import OOV_ID, Encoded


def token_view(text: str, encoded: Encoded) -> list[dict[str, Any]]:
    """One dict per token of the untruncated encoding; tokens past max_length are flagged, not dropped."""
    rows = []
    triples = zip(encoded.ids, encoded.tokens, encoded.spans, strict=True)
    for i, (tid, tok, (start, end)) in enumerate(triples):
        rows.append({
            "i": i,
            "text": text[start:end],  # as written (case kept), for painting the original review
            "token": tok,  # normalised (lower-cased) form the vocabulary knows
            "start": start,
            "end": end,
            "is_oov": tid == OOV_ID,
            "beyond_max_length": i >= encoded.max_length,
        })
    return rows
