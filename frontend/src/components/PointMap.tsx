import createREGL from "regl";
import createScatterplot, { createRenderer } from "regl-scatterplot";
import { useEffect, useLayoutEffect, useRef } from "react";
import { encodeColor, encodeSize, POINT_SIZES, type ColorField, type SizeField } from "../lib/pointColors";
import { normalizedXY, type PointSet } from "../lib/points";
import { attachHoverRest } from "./hoverRest";
import { attachLevelOfDetail } from "./mapDetail";

type Scatterplot = ReturnType<typeof createScatterplot>;
type Renderer = ReturnType<typeof createRenderer>;

/** What regl-scatterplot's renderer copies each frame into when it is handed no 2D canvas to fill. */
const NO_COPY = {
  width: 0,
  height: 0,
  getContext: () => ({ clearRect: () => undefined, drawImage: () => undefined }),
} as unknown as HTMLCanvasElement;

/**
 * The scatterplot's renderer, drawing into the visible WebGL canvas `gl` (sized to the map, not the window).
 *
 * Left to itself regl-scatterplot draws into a hidden window-sized WebGL canvas with multisampling and a depth
 * buffer, and copies every frame into the map's 2D canvas with drawImage: without a GPU (SwiftShader) that is a
 * multisampled clear, resolve and read-back plus a software blit per frame of a pan, and the page's frame waits
 * on it. Here the WebGL canvas is the one shown and the 2D canvas above it stays empty (it only takes the mouse).
 * The drawing is the library's own (points blended in a float framebuffer, then one full-canvas pass), so the
 * picture is the same pixel for pixel. The context has no multisampling, no depth buffer and no preserved
 * drawing buffer: the only thing drawn into it is that full-canvas pass, which has no edges to smooth and no
 * depth, and it redraws the whole canvas each time.
 */
function createMapRenderer(gl: HTMLCanvasElement, width: number, height: number): Renderer {
  const context = gl.getContext("webgl", { antialias: false, depth: false, preserveDrawingBuffer: false });
  if (!context) throw new Error("WebGL is not available");
  // The extensions regl-scatterplot asks for; it checks them itself and warns when one is missing.
  const regl = createREGL({
    gl: context,
    optionalExtensions: ["OES_texture_float", "OES_element_index_uint", "WEBGL_color_buffer_float", "EXT_float_blend"],
  });
  const renderer = createRenderer({ regl, canvas: gl });
  renderer.resize(width, height);
  const render = renderer.render;
  renderer.render = (draw) => render(draw, NO_COPY);
  return renderer;
}

function sameRows(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((i) => set.has(i));
}

/**
 * Shows the whole [-1, 1] square the points are normalised into, whatever the map's shape: the default
 * camera fits the height only, so a map taller than wide would cut its points off at the sides.
 */
function fitAll(sp: Scatterplot): Promise<void> {
  return sp.zoomToArea({ x: -1.03, y: -1.03, width: 2.06, height: 2.06 });
}

export interface PointMapProps {
  points: PointSet;
  colorBy: ColorField;
  sizeBy: SizeField;
  classes?: readonly string[];
  /** Indices to highlight (an insight, a lasso selection). */
  highlighted?: readonly number[];
  onHover?: (index: number | null, screen: { x: number; y: number } | null) => void;
  onClick?: (index: number) => void;
  onSelect?: (indices: number[]) => void;
  /** Called once the points are on screen, with how many were drawn (used by the UI benchmark). */
  onDrawn?: (drawn: number) => void;
  /**
   * Called once the points are on screen, with where a point is on the map's canvas in CSS pixels from its
   * top left (the UI benchmark hovers a known point with it).
   */
  onLocator?: (locate: (index: number) => { x: number; y: number } | undefined) => void;
  /** Called after the map followed its box to a new size (redrawn and refitted). */
  onResized?: (size: { width: number; height: number }) => void;
}

/** The WebGL population map. Points are column arrays; shift-drag lassoes, wheel zooms, drag pans. */
export function PointMap({
  points,
  colorBy,
  sizeBy,
  classes,
  highlighted,
  onHover,
  onClick,
  onSelect,
  onDrawn,
  onLocator,
  onResized,
}: PointMapProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const glRef = useRef<HTMLCanvasElement>(null);
  const plot = useRef<Scatterplot | null>(null);
  const lastPoints = useRef<PointSet | null>(null);
  // The scatterplot's subscriptions are made once; they call whatever handlers the latest render passed.
  const handlers = useRef({ onHover, onClick, onSelect, onDrawn, onLocator, onResized });
  useLayoutEffect(() => {
    handlers.current = { onHover, onClick, onSelect, onDrawn, onLocator, onResized };
  });
  const mouse = useRef({ x: 0, y: 0 });

  // What the map highlights now: a click on one point opens it, but must not replace an insight's selection.
  const shownSelection = useRef<readonly number[]>([]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const gl = glRef.current;
    const box = canvas?.parentElement;
    if (!canvas || !gl || !box) return;
    // The canvas fills its box; the box is what the layout sizes (the drawer, the window), so it is the one
    // measured. regl-scatterplot pins the canvas's own CSS size, so the canvas alone would never shrink or grow.
    const size = () => {
      const b = box.getBoundingClientRect();
      return { width: Math.max(1, Math.floor(b.width)), height: Math.max(1, Math.floor(b.height)) };
    };
    const renderer = createMapRenderer(gl, size().width, size().height);
    const sp = createScatterplot({
      canvas,
      renderer,
      ...size(),
      backgroundColor: "#0f141b",
      pointSize: 4,
      opacityInactiveScale: 0.6,
      pointColorHover: "#ffffff",
      pointColorActive: "#fde047",
      lassoColor: "#60a5fa",
      // Esc closes the sample drawer; it must not also drop the selection under it.
      deselectOnEscape: false,
    });
    plot.current = sp;
    // A drag (a pan, a lasso) slides the points under the cursor: the hover card would jump from point to point,
    // the view re-rendering each time, every few frames of the drag. The card is hidden while the button is held
    // and comes back on release if the cursor is then over a point.
    let pressed = false;
    let shown: number | null = null;
    const report = (i: number | null) => {
      if (i === shown) return;
      shown = i;
      handlers.current.onHover?.(i, i === null ? null : mouse.current);
    };
    const onMove = (e: MouseEvent) => {
      const r = canvas.getBoundingClientRect();
      mouse.current = { x: e.clientX - r.left, y: e.clientY - r.top };
      if (pressed) report(null);
    };
    const onDown = (e: MouseEvent) => {
      if (e.button === 0) pressed = true;
    };
    const onUp = () => {
      if (!pressed) return;
      pressed = false;
      const i: number | undefined = sp.get("hoveredPoint");
      report(i !== undefined && i >= 0 ? i : null);
    };
    canvas.addEventListener("mousemove", onMove);
    canvas.addEventListener("mousedown", onDown);
    window.addEventListener("mouseup", onUp);
    sp.subscribe("pointOver", (i: number) => report(pressed ? null : i));
    sp.subscribe("pointOut", () => report(null));
    sp.subscribe("select", ({ points: sel }: { points: number[] }) => {
      // A single click selects one point: that opens it, and the selection shown before stays. A lasso
      // selects many: that lists them.
      if (sel.length === 1) {
        const before = shownSelection.current;
        if (before.length) sp.select([...before], { preventEvent: true });
        else sp.deselect({ preventEvent: true });
        handlers.current.onClick?.(sel[0] as number);
      } else if (!sameRows(sel, shownSelection.current)) handlers.current.onSelect?.([...sel]);
      // The scatterplot re-announces the selection it already shows (after a resize, a redraw): that is no
      // new choice, and must not replace what made it (an insight, a cluster).
    });
    sp.subscribe("deselect", () => handlers.current.onSelect?.([]));
    const detachDetail = attachLevelOfDetail(
      sp,
      canvas,
      () => lastPoints.current?.n ?? 0,
      () => shownSelection.current,
    );
    const detachHoverRest = attachHoverRest(canvas, () => lastPoints.current?.n ?? 0);
    let last = size();
    const ro = new ResizeObserver(() => {
      const next = size();
      if (next.width === last.width && next.height === last.height) return;
      last = next;
      // Resize the drawing buffers, then fit the points to the new shape so none fall off an edge.
      renderer.resize(next.width, next.height);
      void sp.set(next).then(async () => {
        await fitAll(sp);
        sp.refresh();
        handlers.current.onResized?.(next);
      });
    });
    ro.observe(box);
    return () => {
      ro.disconnect();
      detachDetail();
      detachHoverRest();
      canvas.removeEventListener("mousemove", onMove);
      canvas.removeEventListener("mousedown", onDown);
      window.removeEventListener("mouseup", onUp);
      sp.destroy();
      // The scatterplot leaves a renderer it was handed alone.
      renderer.destroy();
      plot.current = null;
      lastPoints.current = null;
    };
  }, []);

  useEffect(() => {
    const sp = plot.current;
    if (!sp) return;
    const color = encodeColor(points, colorBy, classes);
    const { x, y } = normalizedXY(points);
    const sized = sizeBy !== "none";
    const size = sizeBy !== "none" ? encodeSize(points, sizeBy) : new Float32Array(points.n);
    void sp.set({
      colorBy: "valueA",
      pointColor: color.palette,
      sizeBy: sized ? "valueB" : null,
      pointSize: sized ? POINT_SIZES : 4,
    });
    // Same point count as before: animate from the old positions (e.g. between epochs).
    const transition =
      lastPoints.current !== null && lastPoints.current.n === points.n && lastPoints.current !== points;
    const first = lastPoints.current === null;
    lastPoints.current = points;
    void sp
      .draw(
        { x, y, valueA: color.values, valueB: size },
        {
          transition,
          transitionDuration: 700,
          preventFilterReset: true,
          zDataType: color.categorical ? "categorical" : "continuous",
          wDataType: "continuous",
        },
      )
      // The first points are fitted to the map, tall or wide; later ones keep the view (pan, zoom).
      .then(() => (first ? fitAll(sp) : undefined))
      .then(() => {
        handlers.current.onDrawn?.(points.n);
        handlers.current.onLocator?.((i) => {
          const at: [number, number] | undefined = sp.getScreenPosition(i);
          return at && { x: at[0], y: at[1] };
        });
      });
  }, [points, colorBy, sizeBy, classes]);

  useEffect(() => {
    const sp = plot.current;
    if (!sp) return;
    shownSelection.current = highlighted ?? [];
    if (highlighted && highlighted.length) sp.select([...highlighted], { preventEvent: true });
    else sp.deselect({ preventEvent: true });
  }, [highlighted]);

  // The WebGL canvas shows the points; the empty canvas over it is the scatterplot's, which takes the mouse.
  return (
    <>
      <canvas ref={glRef} className="point-map point-map-gl" aria-hidden="true" />
      <canvas ref={canvasRef} className="point-map" data-testid="point-map" />
    </>
  );
}

export function LegendView({
  points,
  colorBy,
  classes,
}: {
  points: PointSet;
  colorBy: ColorField;
  classes?: readonly string[];
}) {
  const { legend } = encodeColor(points, colorBy, classes);
  if (legend.kind === "categorical") {
    return (
      <ul className="legend" aria-label="legend">
        {legend.entries
          .map((e, k) => ({ ...e, k }))
          .filter((e) => e.count > 0)
          .map((e) => (
            <li key={e.k}>
              <span className="swatch" style={{ background: e.color }} />
              {e.label}
              <span className="muted small"> {e.count.toLocaleString()}</span>
            </li>
          ))}
      </ul>
    );
  }
  return (
    <div className="legend" aria-label="legend">
      <div className="ramp" style={{ background: `linear-gradient(to right, ${legend.stops.join(", ")})` }} />
      <div className="ramp-labels small">
        <span>{legend.min.toFixed(2)}</span>
        <span>{legend.max.toFixed(2)}</span>
      </div>
      {legend.note && <div className="muted small">{legend.note}</div>}
    </div>
  );
}
