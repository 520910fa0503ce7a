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
    __mapBench?: { dataAt?: number; firstDrawnAt?: number; drawnAt?: number; n?: number; error?: string };
  }
}

function BenchMapPage() {
  const [points, setPoints] = useState<PointSet | null>(null);
  const [error, setError] = useState<string | null>(null);
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
      <PointMap points={points} colorBy="label" sizeBy="loss" onDrawn={onDrawn} />
    </div>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <BenchMapPage />
  </StrictMode>,
);
