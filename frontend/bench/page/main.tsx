/**
 * The map benchmark's page (`npm run bench-ui` builds it on its own, so the dashboard's bundle never
 * carries it): draws the Arrow points payload found at ?src= with the dashboard's PointMap and reports
 * timings on window.__mapBench. It reads a static payload, no API, so it needs no server to sign in to.
 */
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { errorMessage, fetchBinary } from "../../src/api/client";
import { PointMap } from "../../src/components/PointMap";
import { decodePoints, type PointSet } from "../../src/lib/points";
import "../../src/styles.css";

declare global {
  interface Window {
    __mapBench?: { dataAt?: number; drawnAt?: number; n?: number; error?: string };
  }
}

function BenchMapPage() {
  const [points, setPoints] = useState<PointSet | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const src = new URLSearchParams(window.location.search).get("src") ?? "/bench/points.arrow";
    window.__mapBench = {};
    fetchBinary(src)
      .then((buf) => {
        const p = decodePoints(buf).points;
        window.__mapBench = { dataAt: performance.now(), n: p.n };
        setPoints(p);
      })
      .catch((e: unknown) => {
        setError(errorMessage(e));
        window.__mapBench = { error: errorMessage(e) };
      });
  }, []);
  if (error) return <div className="state state-error">{error}</div>;
  if (!points) return <div className="state">Loading…</div>;
  const onDrawn = () => {
    if (window.__mapBench && !window.__mapBench.drawnAt) window.__mapBench.drawnAt = performance.now();
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
