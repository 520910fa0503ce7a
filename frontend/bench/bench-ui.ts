/**
 * UI benchmark: headless Chromium draws a 50k-point map (synthetic points in the API's Arrow IPC format,
 * same columns and types as GET /maps/{epoch}/points) with the dashboard's PointMap, and reports the time
 * from navigation to the map drawn and the frame rate while panning. The page (bench/page/) is built here
 * with the dashboard's Vite config into a temporary folder and served with the payload by a tiny local
 * server, so the dashboard's own bundle does not carry it. Size: BENCH_POINTS (default 50000; 1000000 for the
 * large map, which draws a sample while it moves and holds hover until the cursor rests). After the pan
 * (map_fps=<x>): hover (hover_card_ms, wander_*), click-to-open (click_ms) and lasso (lasso_ms), see
 * hoverAndLasso.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { build } from "vite";
import { CHROMIUM, CHROMIUM_ARGS, FRONTEND, freePort, requireChromium } from "../e2e/stack";
import {
  Bool,
  Dictionary,
  Schema,
  Float16,
  Int16,
  Int8,
  Table,
  tableToIPC,
  Uint16,
  Uint32,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";

type BenchWindow = {
  __mapBench?: { dataAt?: number; firstDrawnAt?: number; drawnAt?: number; n?: number; error?: string };
};

const N = Number(process.env.BENCH_POINTS ?? 50_000);
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".css": "text/css",
  ".html": "text/html",
  ".svg": "image/svg+xml",
};

function synthetic(n: number): Uint8Array {
  // Seeded clusters so the picture resembles a real map; the values only need the right types.
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const x = new Float32Array(n),
    y = new Float32Array(n),
    label = new Uint8Array(n),
    loss = new Float32Array(n),
    id = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * 12),
      a = (c / 12) * Math.PI * 2,
      r = 6 + (c % 3) * 3;
    x[i] = Math.cos(a) * r + (rnd() - 0.5) * 3;
    y[i] = Math.sin(a) * r + (rnd() - 0.5) * 3;
    label[i] = c % 2;
    loss[i] = -Math.log(Math.max(1e-4, rnd()));
    id[i] = i + 1;
  }
  const splits = Array.from({ length: n }, (_, i) => (["train", "val", "test"] as const)[i % 3]);
  // Uncompressed (the API's compression=none form); the decode work after decompression is the same.
  const whole = new Table({
    sample_id: vectorFromArray(Array.from(id), new Uint32()),
    index: vectorFromArray(Array.from(Uint32Array.from(id, (v) => v - 1)), new Uint32()),
    x: vectorFromArray(Array.from(x), new Float16()),
    y: vectorFromArray(Array.from(y), new Float16()),
    split: vectorFromArray(splits, new Dictionary(new Utf8(), new Int8())),
    label: vectorFromArray(Array.from(label), new Uint8()),
    prediction: vectorFromArray(Array.from(label), new Uint8()),
    p_positive: vectorFromArray(
      Array.from(label, (l) => (l ? 0.8 : 0.2)),
      new Float16(),
    ),
    loss: vectorFromArray(Array.from(loss), new Float16()),
    score: vectorFromArray(
      Array.from(label, (l) => (l ? 8 : 3)),
      new Uint8(),
    ),
    token_count: vectorFromArray(Array.from(Uint16Array.from(id, (v) => v % 400)), new Uint16()),
    truncated: vectorFromArray(
      Array.from(id, (v) => v % 7 === 0),
      new Bool(),
    ),
    flag: vectorFromArray(Array.from(new Uint8Array(n)), new Uint8()),
    cluster: vectorFromArray(Array.from(Int16Array.from(id, (v) => v % 12)), new Int16()),
  });
  // As the API sends it (backend/core/map_points.py encode): batches of 65,536 points, with the map's size and
  // extent in the schema's metadata, so a large map is drawn while the rest arrive.
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const px = whole.getChild("x")?.get(i) as number,
      py = whole.getChild("y")?.get(i) as number;
    [minX, maxX, minY, maxY] = [Math.min(minX, px), Math.max(maxX, px), Math.min(minY, py), Math.max(maxY, py)];
  }
  const lensboard = JSON.stringify({ rows: n, extent: [minX, maxX, minY, maxY] });
  const schema = new Schema(whole.schema.fields, new Map([["lensboard", lensboard]]));
  const batches = whole.batches.flatMap((b) =>
    Array.from({ length: Math.ceil(b.numRows / 65_536) }, (_, k) => b.slice(k * 65_536, (k + 1) * 65_536)),
  );
  return tableToIPC(new Table(schema, batches), "stream");
}

/** Builds bench/page/ into a fresh temporary folder and returns it. */
async function buildPage(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "lensboard-bench-ui-"));
  await build({
    configFile: join(FRONTEND, "vite.config.ts"),
    root: join(FRONTEND, "bench", "page"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof chromium.launch>>["newPage"]>>;
type Cdp = Awaited<ReturnType<ReturnType<Page["context"]>["newCDPSession"]>>;

/** Resolves once the page has drawn two frames in a row (the work queued before it is done), or after `ms`. */
const settled = (page: Page, ms = 30_000) =>
  page.evaluate(`new Promise((r) => { setTimeout(r, ${ms}); requestAnimationFrame(() => requestAnimationFrame(r)); })`);

/** The page's main-thread busy time so far (DevTools' TaskDuration), in ms. */
async function busyMs(cdp: Cdp): Promise<number> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return (metrics.find((m) => m.name === "TaskDuration")?.value ?? NaN) * 1000;
}

/**
 * Hover and lasso, as a person does them. Hover: from an empty spot (the middle of the ring of clusters) the
 * cursor jumps onto a known point; hover_card_ms is the time from that mousemove reaching the page to the hover
 * card in the DOM (hover_painted_ms: to the frame after it). Then the cursor wanders over the points with no
 * button for ~2 s: how many moves the page took, frames it drew, its main-thread busy time and long tasks, and
 * wander_drain_ms, how long after the last move the page answers again. Click: a press and release on the hovered
 * point until the page says it opened. Lasso: shift-drag a square around the point; lasso_ms is from the release
 * to the selection count shown.
 */
async function hoverAndLasso(page: Page, cdp: Cdp) {
  // Page-side probes, as a string (tsx would inject helpers the page does not have): the time an element
  // matching a selector with non-empty text appears after the next event of a type reaches the window.
  await page.evaluate(`window.__probe = (type, selector) => new Promise((resolve) => {
      let t0;
      const start = (e) => { t0 = performance.now(); window.removeEventListener(type, start, true); };
      window.addEventListener(type, start, true);
      const seen = () => { const el = document.querySelector(selector); return el && el.textContent ? el : null; };
      const mo = new MutationObserver(() => {
        const el = seen();
        if (t0 === undefined || !el) return;
        mo.disconnect();
        const t1 = performance.now();
        requestAnimationFrame(() => resolve({ dom: t1 - t0, painted: performance.now() - t0, text: el.textContent,
          index: el.getAttribute('data-index') }));
      });
      mo.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    window.__longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask' });`);
  await settled(page);
  const where = (i: number) => page.evaluate<{ x: number; y: number } | undefined>(`window.__mapBench.locate(${i})`);
  // The ring's middle: the mean position of a thousand points (the clusters sit evenly around it).
  const sample = await page.evaluate<{ x: number; y: number }[]>(
    `Array.from({ length: 1000 }, (_, i) => window.__mapBench.locate(i * 37))`,
  );
  const mid = {
    x: sample.reduce((a, p) => a + p.x, 0) / sample.length,
    y: sample.reduce((a, p) => a + p.y, 0) / sample.length,
  };
  let target = -1;
  let at = { x: 0, y: 0 };
  for (let i = 0; i < 1000; i++) {
    const p = await where(i);
    if (p && p.x > 200 && p.x < 1080 && p.y > 200 && p.y < 600) {
      [target, at] = [i, p];
      break;
    }
  }
  if (target < 0) throw new Error("no point well inside the view to hover");
  await page.mouse.move(mid.x, mid.y);
  await page.waitForTimeout(300);
  await settled(page);
  const noCard = (await page.locator(".hover-card").count()) === 0;
  const hoverProbe = page.evaluate<{
    dom: number;
    painted: number;
    index: string | null;
  }>(`window.__probe('mousemove', '.hover-card')`);
  await page.mouse.move(at.x, at.y);
  const hovered = await hoverProbe;
  console.log(`hover_from_empty=${noCard ? 1 : 0} hover_target=${target} hover_index=${hovered.index}`);
  console.log(`hover_card_ms=${hovered.dom.toFixed(0)} hover_painted_ms=${hovered.painted.toFixed(0)}`);

  // Click-to-open on the hovered point.
  await settled(page);
  const clickProbe = page.evaluate<{
    dom: number;
    text: string;
  }>(`window.__probe('mouseup', '[data-testid="opened"]')`);
  await page.mouse.down();
  await page.mouse.up();
  const clicked = await clickProbe;
  console.log(`click_opened="${clicked.text}" click_ms=${clicked.dom.toFixed(0)}`);

  // Wander over the points on the ring for ~2 s, no button held.
  const radius = Math.hypot(at.x - mid.x, at.y - mid.y);
  await settled(page);
  await page.evaluate(`window.__longTasks = []; window.__frames = 0; window.__counting = true;
      (function tick() { if (window.__counting) { window.__frames++; requestAnimationFrame(tick); } })();`);
  const busy0 = await busyMs(cdp);
  const w0 = Date.now();
  let moves = 0;
  while (Date.now() - w0 < 2000) {
    moves++;
    const a = moves / 15;
    await page.mouse.move(mid.x + radius * Math.cos(a), mid.y + radius * Math.sin(a));
  }
  const wanderS = (Date.now() - w0) / 1000;
  const d0 = Date.now();
  await settled(page);
  const drain = Date.now() - d0;
  const busy = (await busyMs(cdp)) - busy0;
  const [wFrames, longTasks] = await page.evaluate<[number, number[]]>(
    `window.__counting = false; [window.__frames, window.__longTasks]`,
  );
  console.log(`wander_s=${wanderS.toFixed(1)} wander_moves=${moves} wander_frames=${wFrames}`);
  console.log(
    `wander_busy_ms=${busy.toFixed(0)} wander_long_tasks=${longTasks.length} ` +
      `wander_long_task_ms=${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ` +
      `wander_longest_task_ms=${Math.max(0, ...longTasks).toFixed(0)} wander_drain_ms=${drain}`,
  );

  // Lasso: shift-drag a square of 160 px around the point, corner to corner in 8 px steps.
  await page.mouse.move(at.x - 80, at.y - 80);
  await page.waitForTimeout(300);
  await settled(page);
  const lassoProbe = page.evaluate<{
    dom: number;
    painted: number;
    text: string;
  }>(`window.__probe('mouseup', '[data-testid="selection-count"]')`);
  const l0 = Date.now();
  await page.keyboard.down("Shift");
  await page.mouse.down();
  let corner = { x: at.x - 80, y: at.y - 80 };
  for (const [dx, dy] of [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ] as const) {
    for (let k = 1; k <= 20; k++) await page.mouse.move(corner.x + dx * 8 * k, corner.y + dy * 8 * k);
    corner = { x: corner.x + dx * 160, y: corner.y + dy * 160 };
  }
  await page.mouse.up();
  await page.keyboard.up("Shift");
  const dragS = (Date.now() - l0) / 1000;
  const lassoed = await lassoProbe;
  console.log(`lasso_drag_s=${dragS.toFixed(1)} lasso_selected="${lassoed.text}"`);
  console.log(`lasso_ms=${lassoed.dom.toFixed(0)} lasso_painted_ms=${lassoed.painted.toFixed(0)}`);
}

async function main() {
  if (!requireChromium()) return;
  const DIST = await buildPage();
  const payload = Buffer.from(synthetic(N));
  const port = await freePort();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/bench/points.arrow") {
      res.writeHead(200, { "Content-Type": "application/vnd.apache.arrow.stream", "Content-Length": payload.length });
      return res.end(payload);
    }
    const file = normalize(join(DIST, path));
    const target =
      file.startsWith(DIST) && existsSync(file) && statSync(file).isFile() ? file : join(DIST, "index.html");
    res.writeHead(200, { "Content-Type": TYPES[extname(target)] ?? "application/octet-stream" });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  // Software GL (SwiftShader) is what a headless machine without a GPU has.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
    headless: true,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => {
        const b = (window as unknown as BenchWindow).__mapBench;
        return b?.drawnAt !== undefined || b?.error !== undefined;
      },
      null,
      { timeout: 60_000 },
    );
    const t = await page.evaluate(() => (window as unknown as BenchWindow).__mapBench ?? {});
    if (t.error) throw new Error(t.error);
    const drawn = t.drawnAt ?? NaN,
      data = t.dataAt ?? NaN;
    console.log(`points=${t.n} payload_bytes=${payload.length}`);
    console.log(`navigation_to_first_drawn_ms=${(t.firstDrawnAt ?? NaN).toFixed(0)}`);
    console.log(`navigation_to_drawn_ms=${drawn.toFixed(0)}`);
    console.log(`data_to_drawn_ms=${(drawn - data).toFixed(0)}`);
    // The page's JavaScript heap once the map is drawn (the points' columns and the scatterplot's buffers on
    // the JS side; GPU memory is not counted), from the DevTools protocol.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const heap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? NaN;
    console.log(`js_heap_mb=${(heap / 2 ** 20).toFixed(1)}`);

    // Pan: drag across the canvas for ~3 s while counting animation frames in the page.
    // A string, not a function: tsx would inject helpers the page does not have.
    await page.evaluate(`window.__frames = 0; window.__counting = true;
      (function tick() { if (window.__counting) { window.__frames++; requestAnimationFrame(tick); } })();`);
    const t0 = Date.now();
    await page.mouse.move(400, 400);
    await page.mouse.down();
    let k = 0;
    while (Date.now() - t0 < 3000) {
      k++;
      await page.mouse.move(400 + 250 * Math.sin(k / 10), 400 + 150 * Math.cos(k / 13));
    }
    await page.mouse.up();
    const frames = Number(await page.evaluate("window.__counting = false; window.__frames"));
    const fps = frames / ((Date.now() - t0) / 1000);
    console.log(`pan_moves=${k} frames=${frames}`);
    console.log(`map_fps=${fps.toFixed(1)}`);
    await hoverAndLasso(page, cdp);
  } finally {
    await browser.close();
    server.close();
    rmSync(DIST, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
