/**
 * Turns a review into display segments: plain text, line breaks for `<br />`, and marked tokens.
 * The result is rendered as React text nodes, so markup in a review is shown, never interpreted.
 */
export interface TokenMark {
  /** Character span in the original text. */
  start: number;
  end: number;
  oov: boolean;
  /** Beyond the model's max length: not seen by the model. */
  beyond: boolean;
  /** Attribution toward the positive class (negative values push toward "negative"), null when unscored. */
  score: number | null;
}

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "br" }
  | { kind: "token"; text: string; mark: TokenMark; index: number }
  | { kind: "truncation" };

const BR = /<br\s*\/?>/gi;

function plain(text: string, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(BR)) {
    if (m.index > last) out.push({ kind: "text", text: text.slice(last, m.index) });
    out.push({ kind: "br" });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
}

export function segmentReview(text: string, tokens: readonly TokenMark[] = []): Segment[] {
  const out: Segment[] = [];
  const sorted = tokens
    .map((mark, index) => ({ mark, index }))
    .filter(({ mark }) => mark.end > mark.start && mark.start >= 0 && mark.end <= text.length)
    .sort((a, b) => a.mark.start - b.mark.start);
  let cursor = 0;
  let truncationShown = false;
  for (const { mark, index } of sorted) {
    if (mark.start < cursor) continue; // overlapping spans: keep the first
    plain(text.slice(cursor, mark.start), out);
    if (mark.beyond && !truncationShown) {
      out.push({ kind: "truncation" });
      truncationShown = true;
    }
    out.push({ kind: "token", text: text.slice(mark.start, mark.end), mark, index });
    cursor = mark.end;
  }
  plain(text.slice(cursor), out);
  return out;
}

/** A review as the what-if editor shows it: each `<br />` a line break. */
export function editableText(text: string): string {
  return text.replace(BR, "\n");
}

/**
 * Edited text back in the review's own form: line breaks become `<br />` again, so the model reads an edit
 * exactly as it reads the stored reviews (the tokenizer treats `<br />` as a break).
 */
export function reviewText(edited: string): string {
  return edited.replace(/\r?\n/g, "<br />");
}
