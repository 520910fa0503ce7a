import { useEffect, useState } from "react";
import { fetchBinary, errorMessage } from "../api/client";
import { PointMap } from "../components/PointMap";
import { decodePoints, type PointSet } from "../lib/points";

/**
 * Renderer diagnostics: draws the Arrow points payload found at ?src= and reports timings on window.__mapBench.
 * `npm run bench-ui` serves a synthetic payload here; the page shows whatever it is given.
 */
declare global {
  interface Window {
    __mapBench?: { dataAt?: number; drawnAt?: number; n?: number; error?: string };
  }
}

export function BenchMapPage() {
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
  return (
    <div style={{ position: "fixed", inset: 0 }}>
      <PointMap points={points} colorBy="label" sizeBy="loss" onDrawn={() => { if (window.__mapBench && !window.__mapBench.drawnAt) window.__mapBench.drawnAt = performance.now(); }} />
    </div>
  );
}
