/**
 * Before/after screenshots of issue 20's items 2 (the map beside the sample drawer), 4 (1000 px wide),
 * 5 (attributions) and 6 (the printed report), at 1600 and 1000 px.
 *
 *   npx tsx e2e/screens.ts [--root DIR] [--prefix before|after] [--out DIR]
 *
 * --root is a checkout of the project (default: this one) whose frontend/dist is built: its own
 * e2e/stack.ts starts ITS backend (API + worker, a fresh SQLite data dir, a free port), so that the API
 * always matches the frontend it serves. The data is made through the API alone (import ~400 reviews,
 * train one small epoch, wait for epoch 1's map), so the same walk runs against an old commit's stack.
 * Pictures are written as <out>/<prefix>-<item>-<width>.png (default out: docs/screenshots/issue20).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, python, ROOT as HERE, requireChromium } from "./stack";

interface StackModule {
  startStack: () => Promise<{
    baseUrl: string;
    dataDir: string;
    stop: () => void;
    auth: Record<string, string>;
    username: string;
    password: string;
  }>;
  buildSubset: (dataDir: string, perClass?: number) => { path: string; hostileKey: string };
}

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k !== -1 && process.argv[k + 1] ? (process.argv[k + 1] as string) : fallback;
}

const root = resolve(arg("root", HERE));
const prefix = arg("prefix", root === HERE ? "after" : "before");
const out = resolve(arg("out", join(HERE, "docs/screenshots/issue20")));
const WIDTHS = [1600, 1000] as const;

/** Keeps a picture under 400 KB for the repository: a 256-colour palette PNG when the full-colour one is larger. */
function shrink(path: string): void {
  if (statSync(path).size <= 400 * 1024) return;
  const script =
    "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); " +
    "im.quantize(256, method=Image.Quantize.MEDIANCUT).save(sys.argv[1], optimize=True)";
  const r = spawnSync(python(), ["-c", script, path], { encoding: "utf-8" });
  if (r.status !== 0) throw new Error(`shrinking ${path} failed: ${r.stderr}`);
}

async function main() {
  if (!requireChromium()) return;
  mkdirSync(out, { recursive: true });
  // The checkout's own stack: its migrations, its API, its worker and its built frontend.
  const mod = (await import(pathToFileURL(join(root, "frontend/e2e/stack.ts")).href)) as StackModule;
  const stack = await mod.startStack();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const base = stack.baseUrl;
    const call = async <T>(method: string, path: string, body?: unknown, retry = true): Promise<T> => {
      let r: Response;
      try {
        r = await fetch(`${base}/api${path}`, {
          method,
          headers: { ...stack.auth, "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        // A kept-alive connection the server closed while this script was busy (building the subset): once more.
        if (!retry) throw e;
        return call<T>(method, path, body, false);
      }
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };
    const waitJob = async (id: number, what: string, ms = 600_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const job = await call<{ state: string; error?: string | null }>("GET", `/jobs/${id}`);
        if (job.state === "SUCCESS") return;
        if (["FAILURE", "REVOKED"].includes(job.state)) throw new Error(`${what} ended ${job.state}: ${job.error}`);
        if (Date.now() > deadline) throw new Error(`${what} did not finish`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    };

    // The data: ~400 reviews, one small CNN epoch, epoch 1's map.
    const subset = mod.buildSubset(stack.dataDir, 100);
    const project = await call<{ id: number }>("POST", "/projects", { name: "Screenshots" });
    const imported = await call<{ id: number }>("POST", `/projects/${project.id}/datasets/imdb`, {
      path: subset.path,
      val_size: 100,
    });
    await waitJob(imported.id, "import");
    const version = await call<{ id: number }>("POST", `/projects/${project.id}/versions`, {
      architecture: "cnn",
      hyperparameters: { embedding_dim: 32, num_filters: 32 },
    });
    const train = await call<{ id: number }>("POST", `/versions/${version.id}/train`, { epochs: 1 });
    await waitJob(train.id, "training");
    const mapDeadline = Date.now() + 600_000;
    for (;;) {
      const maps = await call<{ epoch: number; status: string }[]>("GET", `/versions/${version.id}/maps`);
      if (maps.some((m) => m.epoch === 1 && m.status === "done")) break;
      if (Date.now() > mapDeadline) throw new Error(`no map of epoch 1 (${JSON.stringify(maps)})`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    // The highest-loss review that is not one of the hostile-markup ones (a plain review reads better).
    const rows = await call<{ items: { id: number; preview: string }[] }>(
      "GET",
      `/versions/${version.id}/samples?epoch=1&sort=loss&order=desc&limit=20`,
    );
    const sample = rows.items.find((r) => !r.preview.includes("<script>")) ?? rows.items[0];
    if (!sample) throw new Error("no sample");

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // The page signs in as the stack's user through its form (both commits have it).
    await page.goto(base);
    await page.getByLabel("Username").fill(stack.username);
    await page.getByLabel("Password").fill(stack.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    const shot = async (name: string, full = false) => {
      const path = join(out, `${prefix}-${name}.png`);
      await page.screenshot({ path, fullPage: full });
      shrink(path);
      console.log(`wrote ${path} (${Math.round(statSync(path).size / 1024)} KB)`);
    };
    const projectUrl = `${base}/projects/${project.id}`;

    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 1000 });
      // Item 2 (and 4 at 1000 px): the population map with the sample drawer open.
      await page.goto(`${projectUrl}/map?version=${version.id}&sample=${sample.id}`);
      await page.locator('[data-testid="point-map"]').waitFor({ timeout: 60_000 });
      await page.getByTestId("sample-panel").waitFor();
      await page.waitForTimeout(2000);
      await shot(`2-map-drawer-${width}`);
      // Item 4: the dashboard at this width.
      await page.goto(`${projectUrl}/dashboard?version=${version.id}`);
      await page.locator('[data-testid="loss-table"] tbody tr').first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500);
      await shot(`4-dashboard-${width}`);
      // Item 5: the sample's attributions (analysed once; the second width reads the cached result).
      await page.goto(`${projectUrl}/dashboard?version=${version.id}&sample=${sample.id}`);
      await page.getByTestId("sample-panel").waitFor();
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await page.getByTestId("analysis-summary").waitFor({ timeout: 300_000 });
      await page.locator('[data-testid="review-text"] .tok').first().scrollIntoViewIfNeeded();
      await page.waitForTimeout(800);
      await shot(`5-attributions-${width}`);
    }

    // Item 6: the report as it prints (print media, an A4 page's 186 mm of content = 703 CSS px).
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${projectUrl}/versions/${version.id}/report`);
    await page.getByTestId("version-report").waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2500);
    await page.setViewportSize({ width: 703, height: 1000 });
    await page.emulateMedia({ media: "print" });
    await page.waitForTimeout(1500);
    await shot("6-report-print", true);
  } finally {
    await browser.close();
    stack.stop();
    if (!process.env.E2E_KEEP) rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e, e instanceof Error && e.cause ? e.cause : "");
  process.exit(1);
});
