/**
 * The map benchmark's page (`npm run bench-ui` builds it on its own, so the dashboard's bundle never
 * carries it): draws the Arrow points payload found at ?src= with the dashboard's PointMap and reports
 * timings on window.__mapBench. It reads a static payload, no API, so it needs no server to sign in to.
 */
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { errorMessage, fetchOk } from "../../src/api/client";
import { PointMap } from "../../src/components/PointMap";
import { decodePoints, readPointsStream, type PointSet } from "../../src/lib/points";
import "../../src/styles.css";

declare global {
  interface Window {
    __mapBench?: {
      dataAt?: number;
      firstDrawnAt?: number;
      drawnAt?: number;
      n?: number;
      error?: string;
      /** Where point `i` is on the page (CSS pixels), for the hover and lasso measurements. */
      locate?: (i: number) => { x: number; y: number } | undefined;
    };
  }
}

/**
 * What the map view shows for a hover and a lasso (MapView's hover card and its selection count), reduced to
 * what the benchmark waits for: an element that appears, with the hovered point or the selection's size.
 */
function HoverCard({ index, at }: { index: number; at: { x: number; y: number } }) {
  return (
    <div className="hover-card" style={{ left: at.x + 14, top: at.y + 14 }} role="tooltip" data-index={index}>
      #{index}
    </div>
  );
}

function BenchMapPage() {
  const [points, setPoints] = useState<PointSet | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<{ index: number; at: { x: number; y: number } } | null>(null);
  const [selection, setSelection] = useState<number[]>([]);
  const [opened, setOpened] = useState<number | null>(null);
  useEffect(() => {
    const src = new URLSearchParams(window.location.search).get("src") ?? "/bench/points.arrow";
    window.__mapBench = {};
    // As the dashboard reads them (api/points.ts): streamed, a large map drawn while its batches arrive.
    fetchOk(src)
      .then((response) =>
        response.body
          ? readPointsStream(response.body, (partial) => setPoints(partial.points))
          : response.arrayBuffer().then(decodePoints),
      )
      .then(({ points: p }) => {
        window.__mapBench = { ...window.__mapBench, dataAt: performance.now(), n: p.n };
        setPoints(p);
      })
      .catch((e: unknown) => {
        setError(errorMessage(e));
        window.__mapBench = { error: errorMessage(e) };
      });
  }, []);
  if (error) return <div className="state state-error">{error}</div>;
  if (!points) return <div className="state">Loading…</div>;
  const onDrawn = (drawn: number) => {
    const bench = window.__mapBench;
    if (!bench) return;
    bench.firstDrawnAt ??= performance.now();
    // The whole map: the last batch has been decoded (n is known) and that many points are on screen.
    if (bench.n === drawn) bench.drawnAt ??= performance.now();
  };
  return (
    <div style={{ position: "fixed", inset: 0 }}>
      <PointMap
        points={points}
        colorBy="label"
        sizeBy="loss"
        highlighted={selection}
        onDrawn={onDrawn}
        onLocator={(locate) => {
          if (window.__mapBench) window.__mapBench.locate = locate;
        }}
        onHover={(i, at) => setHover(i === null || !at ? null : { index: i, at })}
        onSelect={setSelection}
        onClick={setOpened}
      />
      {hover && <HoverCard index={hover.index} at={hover.at} />}
      <div className="small" style={{ position: "absolute", top: 8, left: 8, pointerEvents: "none" }}>
        <span data-testid="selection-count">{selection.length ? `${selection.length} selected` : ""}</span>{" "}
        <span data-testid="opened">{opened === null ? "" : `#${opened} opened`}</span>
      </div>
    </div>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <BenchMapPage />
  </StrictMode>,
);
