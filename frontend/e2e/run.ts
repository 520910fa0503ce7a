/**
 * End-to-end walk in headless Chromium against the real API and a real Celery worker:
 * create a project, import ~1,000 reviews, train 1 epoch watching the live notifications, see the
 * dashlets and the network, wait for the population map with every point, open the highest-loss sample and
 * analyze it (heatmap, similar samples, what-if), and check hostile markup stays text.
 * Screenshots go to frontend/test-results/. Steps for APIs not in this backend yet are reported as such.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import {
  buildSubset,
  CHROMIUM,
  LONG_WORD,
  CHROMIUM_ARGS,
  FRONTEND,
  requireChromium,
  startStack,
  type Stack,
} from "./stack";

const OUT = join(FRONTEND, "test-results");
const HOSTILE_NOTE = `<img src=x onerror="window.__pwned = 4"> <a href="javascript:window.__pwned=5">see</a> ${LONG_WORD}`;
let passed = 0;
let failed = 0;
let currentPage: Page | null = null;

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    if (currentPage)
      await currentPage
        .screenshot({ path: join(OUT, `failed-${name.slice(0, 24).replace(/\W+/g, "-")}.png`) })
        .catch(() => undefined);
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

/**
 * Hostile review text on the page stayed inert: no element was made from its markup, nothing it carries ran,
 * and its 5,000-character word widens neither the page nor any container of review text.
 */
function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`expected: ${what}`);
}

async function assertInert(page: Page, where: string): Promise<void> {
  // No named functions inside: tsx would wrap them in a helper that does not exist in the page.
  const r = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: number }).__pwned,
    elements:
      document.querySelectorAll('img[onerror], img[src="x"], a[href^="javascript:" i]').length +
      [...document.querySelectorAll("script")].filter((s) => (s.textContent ?? "").includes("__pwned")).length,
    pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    // Text containers must not be wider than themselves. Tables may scroll inside a scrolling wrapper (a
    // narrow dashlet), so for them: no wider than a wrapper that does not scroll, and no cell holding the long
    // word that can neither wrap it nor clip it.
    overflowing: [
      ...[
        ...document.querySelectorAll<HTMLElement>(
          '.review-text, .preview-text, .hover-card, [data-testid="sample-panel"]',
        ),
      ].filter((el) => el.scrollWidth > el.clientWidth + 1),
      ...[
        ...document.querySelectorAll<HTMLElement>(
          '[data-testid="loss-table"], [data-testid="similar-samples"], [data-testid="flag-table"]',
        ),
      ].filter(
        (el) =>
          el.parentElement !== null &&
          getComputedStyle(el.parentElement).overflowX === "visible" &&
          el.offsetWidth > el.parentElement.clientWidth + 1,
      ),
      ...[...document.querySelectorAll<HTMLElement>("td")]
        .filter((td) => (td.textContent ?? "").includes("UnbreakableUnbreakableUnbreakable"))
        .filter(
          (td) =>
            getComputedStyle(td).overflowWrap !== "anywhere" &&
            getComputedStyle(td).wordBreak !== "break-all" &&
            getComputedStyle(td).overflowX !== "hidden",
        ),
    ].map((el) => {
      // Name the descendants that stick out, so a failure says what to fix.
      const right = el.getBoundingClientRect().right;
      const culprits = [...el.querySelectorAll<HTMLElement>("*")]
        .filter((d) => d.getBoundingClientRect().right > right + 1)
        .slice(0, 3)
        .map((d) => `${d.tagName.toLowerCase()}.${[...d.classList].join(".")}`);
      return `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}[${el.getAttribute("data-testid") ?? ""}]${culprits.length ? ` (sticking out: ${culprits.join(", ")})` : ""}`;
    }),
  }));
  if (r.pwned !== undefined) throw new Error(`${where}: injected code ran (__pwned=${r.pwned})`);
  if (r.elements) throw new Error(`${where}: review markup became ${r.elements} element(s)`);
  if (r.pageOverflow > 1) throw new Error(`${where}: the page scrolls sideways by ${r.pageOverflow} px`);
  if (r.overflowing.length) throw new Error(`${where}: text overflows ${r.overflowing.slice(0, 5).join(", ")}`);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

/** The widths every layout check runs at (the issue's checks): a wide screen and a 1000 px one. */
const WIDTHS = [1600, 1000] as const;

/**
 * Runs a layout check at 1600 and at 1000 px (1000 px tall), then goes back to the walk's 1280×800. The check
 * gets the width, for its assertions and its screenshots' names.
 */
async function atBothWidths(page: Page, check: (width: number) => Promise<void>): Promise<void> {
  try {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 1000 });
      await page.waitForTimeout(400);
      await check(width);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

/** The page does not scroll sideways at this width. */
async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(over <= 1, `${where}: the page does not scroll sideways (${over} px)`);
}

/** The open drawer's close button is on screen. */
async function expectDrawerClosable(page: Page, width: number): Promise<void> {
  const close = await page.getByRole("button", { name: "Close panel" }).boundingBox();
  expect(close !== null && close.x >= 0 && close.x + close.width <= width, `${width} px: the drawer's × is on screen`);
}

/** Waits until the URL's open sample (?sample=) is this one; a timeout says which one is open instead. */
async function waitForSample(page: Page, id: string | null | undefined, after: string): Promise<void> {
  try {
    await page.waitForFunction((want) => new URL(location.href).searchParams.get("sample") === want, id ?? "", {
      timeout: 15_000,
    });
  } catch {
    throw new Error(`after ${after}: expected sample ${id} open, the URL has ${openSample(page)}`);
  }
}

/** The network's details column shows its facts whole: nothing runs past its right edge or off the screen. */
async function expectDetailsFit(page: Page, where: string): Promise<void> {
  const panel = await page.evaluate(() => {
    const el = document.querySelector<HTMLElement>(".network-details");
    if (!el) return null;
    const right = Math.min(el.getBoundingClientRect().right, document.documentElement.clientWidth);
    const out = [...el.querySelectorAll<HTMLElement>("dt, dd")]
      .filter((d) => d.getBoundingClientRect().right > right + 1 || d.scrollWidth > d.clientWidth + 1)
      .map((d) => d.textContent ?? "");
    return { out, wide: el.scrollWidth - el.clientWidth };
  });
  expect(
    panel !== null && panel.out.length === 0 && panel.wide <= 1,
    `${where}: the node details fit their column (${panel?.out.slice(0, 3).join(" | ")})`,
  );
}

/** The open sample in the URL (?sample=), or null. */
function openSample(page: Page): string | null {
  return new URL(page.url()).searchParams.get("sample");
}

/** Collects the states a job card shows, sampled from the DOM, until it finishes. */
async function watchJob(
  page: Page,
  kind: string,
  timeoutMs: number,
): Promise<{ states: string[]; progress: string[]; error: string }> {
  const states: string[] = [];
  const progress: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const card = await page.evaluate((k) => {
      const cards = [...document.querySelectorAll<HTMLElement>('[data-testid="job-card"]')];
      const c = cards.find((el) => el.dataset.kind === k);
      return c
        ? {
            state: c.dataset.state ?? "",
            progress: c.querySelector(".job-progress")?.textContent ?? "",
            error: c.querySelector(".job-error")?.textContent ?? "",
          }
        : null;
    }, kind);
    if (card) {
      if (states[states.length - 1] !== card.state) states.push(card.state);
      if (card.progress && progress[progress.length - 1] !== card.progress) progress.push(card.progress);
      if (["SUCCESS", "FAILURE", "REVOKED"].includes(card.state)) return { states, progress, error: card.error };
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`${kind} job did not finish in ${timeoutMs / 1000} s (states seen: ${states.join(" → ")})`);
}

/**
 * Every Content-Security-Policy violation (the page's `securitypolicyviolation` events, on every document the
 * page loads) and every console error. API answers the walk provokes on purpose (401 before signing in,
 * the wrong password) are logged by Chromium as "Failed to load resource" and do not count.
 */
function watchPolicy(page: Page) {
  const violations: string[] = [];
  const consoleErrors: string[] = [];
  // The dashboard asks for what exists (a flag lookup, a ranking status, a map state): a 404 or 409 from the
  // API is a real error, never an expected answer.
  const expectedErrors: string[] = [];
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/api/") && (r.status() === 404 || r.status() === 409))
      expectedErrors.push(`${r.status()} ${r.request().method()} ${url.pathname}`);
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    if (text.startsWith("Failed to load resource: the server responded with a status of 4")) return;
    consoleErrors.push(`${text} (${msg.location().url})`);
  });
  return {
    async install() {
      await page.exposeFunction("__reportCspViolation", (v: string) => violations.push(v));
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          const report = (window as unknown as { __reportCspViolation: (v: string) => void }).__reportCspViolation;
          void report(
            `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} on ${location.pathname}`,
          );
        });
      });
    },
    report: () => ({ violations, consoleErrors, expectedErrors }),
  };
}

/**
 * The map canvas fills its box (CSS size and drawing buffer), and the points are drawn across it: the drawn
 * pixels reach past the middle and are centred (a canvas left at an old, smaller size draws only its left part).
 */
async function expectMapFits(page: Page, where: string): Promise<{ width: number; height: number }> {
  const r = await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="point-map"]');
    if (!c?.parentElement) return null;
    const box = c.parentElement.getBoundingClientRect();
    const css = c.getBoundingClientRect();
    return {
      boxW: box.width,
      boxH: box.height,
      cssW: css.width,
      cssH: css.height,
      bufW: c.width / devicePixelRatio,
      bufH: c.height / devicePixelRatio,
      right: box.right,
      vw: document.documentElement.clientWidth,
    };
  });
  if (!r) throw new Error(`${where}: no map canvas`);
  const near = (a: number, b: number) => Math.abs(a - b) <= 2;
  expect(
    near(r.cssW, r.boxW) && near(r.cssH, r.boxH) && near(r.bufW, r.boxW) && near(r.bufH, r.boxH),
    `${where}: the canvas (css ${r.cssW}×${r.cssH}, drawn ${r.bufW}×${r.bufH}) matches its box ${r.boxW}×${r.boxH}`,
  );
  expect(r.right <= r.vw + 1, `${where}: the map's box ends on screen (${r.right} ≤ ${r.vw})`);
  const png = (await page.getByTestId("point-map").screenshot()).toString("base64");
  const extent = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const cv = document.createElement("canvas");
    cv.width = img.width;
    cv.height = img.height;
    const g = cv.getContext("2d");
    if (!g) return null;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let lo = img.width;
    let hi = -1;
    // The top 60 % only: the legend sits at the bottom left. Background #0f141b.
    for (let y = 0; y < img.height * 0.6; y += 2)
      for (let x = 0; x < img.width; x++) {
        const k = (y * img.width + x) * 4;
        if (Math.abs(d[k]! - 15) + Math.abs(d[k + 1]! - 20) + Math.abs(d[k + 2]! - 27) > 60) {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
    return { lo, hi, width: img.width };
  }, png);
  if (!extent) throw new Error(`${where}: cannot read the map's pixels`);
  const centre = (extent.lo + extent.hi) / 2 / extent.width;
  expect(
    extent.hi > extent.width * 0.55 && Math.abs(centre - 0.5) < 0.15,
    `${where}: points drawn across the map (columns ${extent.lo}..${extent.hi} of ${extent.width})`,
  );
  return { width: r.boxW, height: r.boxH };
}

async function main() {
  if (!requireChromium()) return;
  mkdirSync(OUT, { recursive: true });
  let stack: Stack | null = null;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    stack = await startStack();
    const subset = buildSubset(stack.dataDir, 250); // 250 per class and split: 1,000 reviews
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    currentPage = page;
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const policy = watchPolicy(page);
    await policy.install();
    const base = stack.baseUrl;
    const auth = { headers: stack.auth };
    const { username, password } = stack;

    await step("signing in is required, and works", async () => {
      expect((await fetch(`${base}/api/projects`)).status === 401, "the API answers 401 without a credential");
      await page.goto(base);
      const form = page.getByRole("form", { name: "Sign in" });
      await form.waitFor();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "wrong username or password" }).waitFor();
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Projects" }).waitFor();
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === "lensboard_session");
      expect(
        session?.httpOnly === true && session.sameSite === "Strict",
        "the session cookie is HttpOnly and SameSite=Strict",
      );
    });

    await step("projects page loads", async () => {
      await page.goto(base);
      await page.getByRole("heading", { name: "Projects" }).waitFor();
      await page.getByText("Loading projects…").waitFor({ state: "detached" });
      await shot(page, "01-projects");
    });

    await step("create a project", async () => {
      await page.getByPlaceholder("e.g. IMDB sentiment").fill("E2E IMDB");
      await page.getByRole("button", { name: "Create project" }).click();
      await page.waitForURL(/\/projects\/\d+\/dashboard/);
      await page.locator(".crumb", { hasText: "E2E IMDB" }).waitFor();
    });

    await step("import ~1,000 reviews, watching the job notifications", async () => {
      await page.getByRole("button", { name: "Import" }).click();
      await page.locator('input[name="path"]').fill(subset.path);
      await page.locator('input[name="val_size"]').fill("100");
      await page.locator('[role="dialog"] button[type="submit"]').click();
      const job = await watchJob(page, "import", Number(process.env.E2E_IMPORT_TIMEOUT_MS ?? 240_000));
      await shot(page, "02-import");
      if (job.states.at(-1) !== "SUCCESS") throw new Error(`import ended ${job.states.join(" → ")}: ${job.error}`);
      await page.locator('[data-testid="dataset-row"][data-status="ready"]').waitFor({ timeout: 10_000 });
    });

    await step("train 1 epoch: PENDING → STARTED → progress → SUCCESS arrive live", async () => {
      await page.getByRole("button", { name: "Train…" }).click();
      await page.locator('input[name="epochs"]').fill("1");
      await page.locator('input[name="embedding_dim"]').fill("32");
      await page.locator('input[name="num_filters"]').fill("32");
      await page.locator('[role="dialog"] button[type="submit"]').click();
      const job = await watchJob(page, "train", 420_000);
      await shot(page, "03-trained");
      if (job.states.at(-1) !== "SUCCESS") throw new Error(`training ended ${job.states.join(" → ")}: ${job.error}`);
      if (!job.states.some((s) => s === "PENDING" || s === "STARTED" || s === "PROGRESS"))
        throw new Error(`no live state before the end: ${job.states.join(" → ")}`);
      if (!job.progress.some((p) => p.includes("epoch")))
        throw new Error(`no epoch progress shown: ${job.progress.join(" | ")}`);
      console.log(`     states: ${job.states.join(" → ")}; progress seen: ${job.progress.slice(0, 4).join(" | ")}`);
    });

    await step("dashlets fill", async () => {
      await page.locator('[data-testid="loss-table"] tbody tr').first().waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="dashlet-confusion"] table.confusion').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="dashlet-batchCurves"] canvas').first().waitFor();
      await page.waitForTimeout(800);
      await shot(page, "04-dashboard");
      await atBothWidths(page, async (width) => {
        await page.waitForTimeout(600);
        await expectNoSidewaysScroll(page, `dashboard at ${width} px`);
        await shot(page, `04-dashboard-${width}`);
      });
    });

    await step("hostile reviews in the samples-by-loss dashlet show as text", async () => {
      const previews = await page.locator('[data-testid="loss-table"] td.preview').allTextContents();
      if (
        !previews.some((t) => t.includes("<script>window.__pwned = 1</script>") && t.includes('<a href="javascript:'))
      )
        throw new Error(`no hostile review shown as text among ${previews.length} top-loss rows`);
      await assertInert(page, "loss table");
      await atBothWidths(page, (width) => assertInert(page, `loss table at ${width} px`));
    });

    await step("open the highest-loss sample; arrow keys step; Esc closes (1600 and 1000 px)", async () => {
      await atBothWidths(page, async (width) => {
        const rows = page.locator('[data-testid="loss-table"] tbody tr');
        const first = rows.first();
        const id = await first.getAttribute("data-sample-id");
        const second = await rows.nth(1).getAttribute("data-sample-id");
        await first.click();
        await page.getByTestId("sample-panel").waitFor();
        if (openSample(page) !== id) throw new Error(`URL lacks the sample: ${page.url()}`);
        await expectDrawerClosable(page, width);
        await expectNoSidewaysScroll(page, `sample drawer at ${width} px`);
        await shot(page, `05-sample-${width}`);
        await page.keyboard.press("ArrowDown");
        await waitForSample(page, second, "↓ in the samples table");
        await page.keyboard.press("ArrowUp");
        await waitForSample(page, id, "↑ in the samples table");
        await page.keyboard.press("Escape");
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
      });
    });

    await step(
      "a review with <script>, <img onerror>, a javascript: link and a 5,000-character word shows as text",
      async () => {
        const url = new URL(page.url());
        const version = url.searchParams.get("version");
        const res = await fetch(
          `${base}/api/versions/${version}/samples?split=test&label=0&limit=1000&sort=index&order=asc`,
          auth,
        );
        const body = (await res.json()) as { items: { id: number; key: string }[] };
        const hostile = body.items.find((s) => s.key === subset.hostileKey);
        if (!hostile) throw new Error(`hostile review ${subset.hostileKey} not found`);
        url.searchParams.set("sample", String(hostile.id));
        await page.goto(url.toString());
        const text = await page.getByTestId("review-text").textContent({ timeout: 15_000 });
        if (!text?.includes("<script>window.__pwned = 1</script>"))
          throw new Error("the script tag is not shown as text");
        if (!text.includes("onerror=")) throw new Error("the img tag is not shown as text");
        if (!text.includes('<a href="javascript:window.__pwned=3">click</a>'))
          throw new Error("the javascript: link is not shown as text");
        if (!text.replace(/\s/g, "").includes(LONG_WORD)) throw new Error("the long word is not shown");
        await assertInert(page, "sample panel");
        const pwned = await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
        if (pwned !== undefined) throw new Error(`injected code ran (__pwned=${pwned})`);
        if ((await page.locator('[data-testid="review-text"] img, [data-testid="review-text"] script').count()) !== 0)
          throw new Error("markup became elements");
        await shot(page, "06-hostile-review");
        await atBothWidths(page, async (width) => {
          await assertInert(page, `sample panel at ${width} px`);
          await expectDrawerClosable(page, width);
          await shot(page, `06-hostile-review-${width}`);
        });
        await page.keyboard.press("Escape");
      },
    );

    await step(
      "network view: selected node highlighted, labels whole, dataset and loss details (1600/1000 px)",
      async () => {
        await page.getByRole("link", { name: "Network" }).click();
        await page.locator(".net-node").first().waitFor({ timeout: 15_000 });
        await page.locator(".net-node", { hasText: "Embedding" }).click();
        await page.getByTestId("node-details").waitFor();
        await shot(page, "07-network");
        await atBothWidths(page, async (width) => {
          await page.getByRole("link", { name: "Network" }).click();
          await page.locator(".net-node").first().waitFor({ timeout: 15_000 });
          await page.getByRole("button", { name: /fit view/i }).click();
          await page.waitForTimeout(500);
          // No label is cut: each fits inside its node.
          const cut = await page.evaluate(() =>
            [...document.querySelectorAll<HTMLElement>(".net-node")]
              .filter((n) => {
                const label = n.querySelector<HTMLElement>(".net-node-label");
                return (
                  label !== null &&
                  (label.scrollHeight > label.clientHeight + 1 ||
                    label.scrollWidth > label.clientWidth + 1 ||
                    label.getBoundingClientRect().bottom > n.getBoundingClientRect().bottom + 1)
                );
              })
              .map((n) => n.textContent ?? ""),
          );
          expect(cut.length === 0, `${width} px: every node label shows whole (cut: ${cut.join(" | ")})`);
          // The dataset node: source, splits with counts, tokenizer; highlighted once picked.
          const dataset = page.locator('.net-node[data-node-id="dataset"]');
          await dataset.click();
          await page.locator('.net-node.selected[data-node-id="dataset"]').waitFor({ timeout: 5_000 });
          const facts = (await page.getByTestId("node-details").textContent()) ?? "";
          for (const word of ["Source", "train split", "val split", "test split", "Vocabulary", "Max length"])
            expect(facts.includes(word), `${width} px: the dataset's details name "${word}" (${facts.slice(0, 200)})`);
          await expectDetailsFit(page, `${width} px, the dataset node`);
          await shot(page, `07-network-dataset-${width}`);
          // The loss node: the loss function, optimizer and learning rate; only it is highlighted now.
          await page.locator('.net-node[data-node-id="loss"]').click();
          await page.locator('.net-node.selected[data-node-id="loss"]').waitFor({ timeout: 5_000 });
          expect((await page.locator(".net-node.selected").count()) === 1, `${width} px: one node is highlighted`);
          const loss = (await page.getByTestId("node-details").textContent()) ?? "";
          for (const word of ["Loss function", "Optimizer", "Learning rate", "Batch size"])
            expect(loss.includes(word), `${width} px: the loss node's details name "${word}" (${loss.slice(0, 200)})`);
          await expectNoSidewaysScroll(page, `network at ${width} px`);
          await expectDetailsFit(page, `${width} px, the loss node`);
          await shot(page, `07-network-loss-${width}`);
        });
      },
    );

    await step("population map: the map job runs after the epoch; all points drawn", async () => {
      await page.getByRole("link", { name: "Population" }).click();
      const status = page.getByTestId("map-status");
      const map = page.getByTestId("point-map");
      await status.or(map).first().waitFor({ timeout: 30_000 });
      if (await status.isVisible()) {
        console.log(`     map status: ${await status.getAttribute("data-status")}; waiting for the map job`);
        await shot(page, "08a-map-building");
      }
      await map.waitFor({ timeout: Number(process.env.E2E_MAP_TIMEOUT_MS ?? 300_000) });
      const version = new URL(page.url()).searchParams.get("version");
      const total = (
        (await (await fetch(`${base}/api/versions/${version}/samples?limit=1`, auth)).json()) as { total: number }
      ).total;
      const count = (await page.getByTestId("map-count").textContent()) ?? "";
      if (!count.startsWith(`${total.toLocaleString("en-US")} points`))
        throw new Error(`map shows "${count}", expected all ${total} points`);
      await page
        .getByTestId("insights")
        .or(page.getByText("No insight for this epoch."))
        .first()
        .waitFor({ timeout: 15_000 });
      await page.getByTestId("clusters").waitFor({ timeout: 15_000 });
      await page.waitForTimeout(1200);
      await shot(page, "08-map");
      console.log(`     ${count}`);
      const firstInsight = page.locator(".insight").first();
      if (await firstInsight.count()) {
        await firstInsight.click();
        await page.getByTestId("selection-table").waitFor();
        await page.locator('select[aria-label="colour by"]').selectOption("loss");
        await page.waitForTimeout(900);
        await shot(page, "08b-map-insight");
        // ↓ / ↑ step through the selection list (not while the colour select has the keys).
        const ids = await page
          .locator('[data-testid="selection-table"] tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-sample-id")));
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.keyboard.press("ArrowDown");
        await waitForSample(page, ids[0], "↓ in the map's selection list");
        if (ids.length > 1) {
          await page.keyboard.press("ArrowDown");
          await waitForSample(page, ids[1], "a second ↓ in the map's selection list");
          await page.keyboard.press("ArrowUp");
          await waitForSample(page, ids[0], "↑ in the map's selection list");
        }
        await page.keyboard.press("Escape");
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
      }
      await atBothWidths(page, async (width) => {
        await page.waitForTimeout(1200);
        await expectMapFits(page, `map at ${width} px`);
        await expectNoSidewaysScroll(page, `map at ${width} px`);
        await shot(page, `08-map-${width}`);
      });
    });

    await step("the map survives the drawer at 1600 and 1000 px; selection kept; ?sample= then close", async () => {
      // Without a sample or an insight in the URL (the step before opened one): this step picks its own.
      const plain = new URL(page.url());
      plain.searchParams.delete("sample");
      plain.searchParams.delete("insight");
      const mapUrl = plain.toString();
      const version = new URL(mapUrl).searchParams.get("version");
      const first = (
        (await (await fetch(`${base}/api/versions/${version}/samples?limit=1`, auth)).json()) as {
          items: { id: number }[];
        }
      ).items[0];
      if (!first) throw new Error("no sample to open");
      for (const width of [1600, 1000]) {
        await page.setViewportSize({ width, height: 1000 });
        await page.goto(mapUrl);
        await page.getByTestId("point-map").waitFor();
        await page.waitForTimeout(1200);
        const before = await expectMapFits(page, `${width} px, no drawer`);
        await shot(page, `20-map-${width}-before`);
        // An insight's selection, then a sample opened from it: the drawer comes, the map follows its box.
        const insight = page.locator(".insight").first();
        const hasInsight = (await insight.count()) > 0;
        if (hasInsight) {
          await insight.click();
          await page.getByTestId("selection-table").locator("tbody tr").first().click();
        } else {
          await page.goto(`${mapUrl}&sample=${first.id}`);
        }
        await page.getByTestId("sample-panel").waitFor();
        await page.waitForTimeout(1200);
        const open = await expectMapFits(page, `${width} px, drawer open`);
        const close = await page.getByRole("button", { name: "Close panel" }).boundingBox();
        expect(close !== null && close.x + close.width <= width, `${width} px: the drawer's × is on screen`);
        // What the drawer leaves of the map in view (it overlays the map below 1500 px).
        const seen = await page.evaluate(() => {
          const box = document.querySelector('[data-testid="point-map"]')?.parentElement?.getBoundingClientRect();
          const drawer = document.querySelector(".drawer")?.getBoundingClientRect();
          return box && drawer ? Math.min(box.right, drawer.left) - box.left : 0;
        });
        expect(
          open.width > 0 && seen >= 300,
          `${width} px: the map stays usable beside the drawer (${seen} px in view)`,
        );
        await shot(page, `21-map-${width}-drawer-open`);
        await page.getByRole("button", { name: "Close panel" }).click();
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
        await page.waitForTimeout(1200);
        const after = await expectMapFits(page, `${width} px, drawer closed`);
        expect(Math.abs(after.width - before.width) <= 2, `${width} px: the map is back to its width`);
        if (hasInsight) {
          await page.locator(".insight.active").waitFor({ timeout: 2000 });
          await page.getByTestId("selection-table").waitFor({ timeout: 2000 });
        }
        await shot(page, `22-map-${width}-drawer-closed`);
        // A deep link straight to a sample, then closing it: the whole map is drawn.
        await page.goto(`${mapUrl}&sample=${first.id}`);
        await page.getByTestId("sample-panel").waitFor();
        await page.getByTestId("point-map").waitFor();
        await page.waitForTimeout(1200);
        await page.keyboard.press("Escape");
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
        await page.waitForTimeout(1200);
        await expectMapFits(page, `${width} px, ?sample= then closed`);
        await shot(page, `23-map-${width}-deeplink-closed`);
      }
      // Reduced but readable at 768 px: nothing scrolls sideways.
      await page.setViewportSize({ width: 768, height: 1000 });
      await page.goto(mapUrl);
      await page.getByTestId("point-map").waitFor();
      await page.waitForTimeout(1200);
      await expectMapFits(page, "768 px");
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow <= 1, `768 px: the page does not scroll sideways (${overflow} px)`);
      await shot(page, "24-map-768");
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(mapUrl);
    });

    await step("a shared link reopens the same map view: colour, size and the open insight", async () => {
      await page.locator('select[aria-label="colour by"]').selectOption("loss");
      await page.locator('select[aria-label="size by"]').selectOption("none");
      const insight = page.locator(".insight").first();
      const hasInsight = (await insight.count()) > 0;
      if (hasInsight) await insight.click();
      const shared = page.url();
      expect(shared.includes("color=loss") && shared.includes("size=none"), `colour and size in the URL: ${shared}`);
      if (hasInsight) expect(/[?&]insight=\d+/.test(shared), `the open insight in the URL: ${shared}`);
      const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await other.context().addCookies(await page.context().cookies());
        await other.goto(shared);
        await other.getByTestId("point-map").waitFor({ timeout: 30_000 });
        expect((await other.locator('select[aria-label="colour by"]').inputValue()) === "loss", "colour reopened");
        expect((await other.locator('select[aria-label="size by"]').inputValue()) === "none", "size reopened");
        if (hasInsight) {
          await other.locator(".insight.active").waitFor({ timeout: 10_000 });
          await other.getByTestId("selection-table").waitFor({ timeout: 10_000 });
        }
      } finally {
        await other.close();
      }
    });

    await step("map hover previews show hostile reviews as text", async () => {
      await page.goto(page.url().replace(/[?&]insight=[^&]*/, ""));
      const map = page.getByTestId("point-map");
      await map.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(800);
      const box = await map.boundingBox();
      if (!box) throw new Error("the map has no box");
      let cards = 0;
      let found = false;
      const deadline = Date.now() + 240_000;
      // Sweep the whole canvas in 12 px steps (a point answers a hover within a few pixels, so a coarser grid
      // meets only a handful of them) until a hovered point is a hostile review (every other review is).
      const gap = 12;
      outer: for (let y = gap / 2; y < box.height; y += gap) {
        for (let x = gap / 2; x < box.width; x += gap) {
          if (Date.now() >= deadline) break outer;
          await page.mouse.move(box.x + x, box.y + y);
          const card = page.locator(".hover-card .preview-text");
          if (!(await card.count())) continue;
          cards++;
          await page
            .waitForFunction(() => document.querySelector(".hover-card .preview-text")?.textContent !== "…", null, {
              timeout: 5_000,
            })
            .catch(() => undefined);
          const text = (await card.textContent().catch(() => "")) ?? "";
          if (text.includes("<script>window.__pwned = 1</script>")) {
            await assertInert(page, "map hover preview");
            await shot(page, "08c-map-hover-hostile");
            found = true;
            break outer;
          }
        }
      }
      if (!found) throw new Error(`no hostile hover preview in the sweep (${cards} previews seen)`);
      await page.mouse.move(0, 0);
    });

    await step("open the highest-loss sample and analyze it; similar samples listed; what-if", async () => {
      await page.getByRole("link", { name: "Dashboard" }).click();
      const first = page.locator('[data-testid="loss-table"] tbody tr').first();
      await first.waitFor({ timeout: 30_000 });
      await first.click();
      await page.getByTestId("sample-panel").waitFor();
      await page.locator('[data-testid="review-text"] .tok').first().waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await page
        .getByTestId("analysis-summary")
        .waitFor({ timeout: Number(process.env.E2E_ANALYZE_TIMEOUT_MS ?? 180_000) });
      const painted = await page.locator('[data-testid="review-text"] .tok[data-score]').count();
      if (painted === 0) throw new Error("the heatmap painted no token");
      await page.getByTestId("similar-samples").waitFor({ timeout: 15_000 });
      await shot(page, "10-analysis");
      // The legend and the top ±10 words beside (here: below) the painted review.
      const topWords = page.getByTestId("top-words").first();
      if (await topWords.count()) {
        await topWords.scrollIntoViewIfNeeded();
        await shot(page, "10b-analysis-top-words");
      }
      await atBothWidths(page, async (width) => {
        await assertInert(page, `analysis at ${width} px`);
        await expectDrawerClosable(page, width);
        await page.getByTestId("review-text").scrollIntoViewIfNeeded();
        await shot(page, `10-analysis-${width}`);
        if (await topWords.count()) {
          await topWords.scrollIntoViewIfNeeded();
          await shot(page, `10b-analysis-top-words-${width}`);
        }
      });
      await page.getByRole("radio", { name: "Negative ↑" }).click();
      const box = page.getByLabel("edited review");
      const text = await box.inputValue();
      await box.fill(`${text.slice(0, 400)} This was a wonderful, brilliant and moving film.`);
      await page.getByRole("button", { name: "Analyze edited text" }).click();
      await page.getByTestId("whatif-delta").waitFor({ timeout: 180_000 });
      console.log(
        `     painted ${painted} tokens; what-if: ${(await page.getByTestId("whatif-delta").textContent())?.trim()}`,
      );
      await page.getByTestId("whatif-delta").scrollIntoViewIfNeeded();
      await shot(page, "11-whatif");
      // Flag it as a confirmed mislabel with a note, then find it in the flags export.
      const sampleId = new URL(page.url()).searchParams.get("sample");
      await page.getByLabel("flag note").fill("e2e: label looks wrong");
      await page.getByRole("button", { name: "Confirm mislabel" }).click();
      await page.locator('[data-testid="flag-editor"][data-state="confirmed"]').waitFor({ timeout: 15_000 });
      await page.getByTestId("flag-editor").scrollIntoViewIfNeeded();
      await shot(page, "12-flagged");
      const project = new URL(page.url()).pathname.split("/")[2];
      const csv = await (await fetch(`${base}/api/projects/${project}/flags/export?format=csv`, auth)).text();
      const row = csv
        .split("\n")
        .find(
          (line) =>
            line.split(",")[0] === sampleId || line.includes(`,${sampleId},`) || line.startsWith(`${sampleId},`),
        );
      if (!row || !row.includes("confirmed"))
        throw new Error(`sample ${sampleId} not confirmed in the export:\n${csv.slice(0, 400)}`);
      await page.keyboard.press("Escape");
      await page.getByTestId("sample-panel").waitFor({ state: "detached" });
    });

    await step("a hostile review's heatmap and similar samples stay text; a hostile flag note too", async () => {
      const url = new URL(page.url());
      const res = await fetch(
        `${base}/api/versions/${url.searchParams.get("version")}/samples?split=test&label=0&limit=1000&sort=index&order=asc`,
        auth,
      );
      const hostile = ((await res.json()) as { items: { id: number; key: string }[] }).items.find(
        (s) => s.key === subset.hostileKey,
      );
      if (!hostile) throw new Error(`hostile review ${subset.hostileKey} not found`);
      url.searchParams.set("sample", String(hostile.id));
      await page.goto(url.toString());
      await page.locator('[data-testid="review-text"] .tok').first().waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await page.getByTestId("analysis-summary").waitFor({ timeout: 120_000 });
      await page.locator('[data-testid="review-text"] .tok[data-score]').first().waitFor();
      const text = (await page.getByTestId("review-text").textContent()) ?? "";
      if (!text.includes("<script>window.__pwned = 1</script>"))
        throw new Error("the heatmap does not show the markup as text");
      await page.getByTestId("similar-samples").waitFor({ timeout: 15_000 });
      await assertInert(page, "analysis heatmap and similar samples");
      await page.getByLabel("flag note").fill(`${HOSTILE_NOTE}`);
      await page.getByRole("button", { name: "Confirm mislabel" }).click();
      await page.locator('[data-testid="flag-editor"][data-state="confirmed"]').waitFor({ timeout: 15_000 });
      await shot(page, "12b-hostile-analysis");
      await page.keyboard.press("Escape");
      await page.getByTestId("sample-panel").waitFor({ state: "detached" });
    });

    await step("flags & versions view", async () => {
      await page.getByRole("link", { name: "Flags & versions" }).click();
      await page.locator(".flags-view").waitFor();
      await page.getByTestId("flag-table").waitFor({ timeout: 15_000 });
      const table = (await page.getByTestId("flag-table").textContent()) ?? "";
      if (!table.includes('<img src=x onerror="window.__pwned = 4">'))
        throw new Error("the hostile flag note is not shown as text");
      await assertInert(page, "flags view");
      await shot(page, "09-flags");
      await atBothWidths(page, async (width) => {
        await assertInert(page, `flags view at ${width} px`);
        await shot(page, `09-flags-${width}`);
        // ↓ / ↑ step through the flagged samples, opening each.
        const ids = await page
          .locator('[data-testid="flag-table"] tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-sample-id")));
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.keyboard.press("ArrowDown");
        await waitForSample(page, ids[0], "↓ in the flags list");
        await page.getByTestId("sample-panel").waitFor();
        if (ids.length > 1) {
          await page.keyboard.press("ArrowDown");
          await waitForSample(page, ids[1], "a second ↓ in the flags list");
        }
        await expectDrawerClosable(page, width);
        await shot(page, `09b-flags-stepped-${width}`);
        await page.keyboard.press("Escape");
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
      });
    });

    await step("suspects list: rank val, then ↓/↑ and j/k step through the suspects (1600 and 1000 px)", async () => {
      await page.getByRole("link", { name: "Dashboard" }).click();
      const dashlet = page.getByTestId("dashlet-suspects");
      await dashlet.scrollIntoViewIfNeeded();
      await dashlet.getByLabel("suspect split").selectOption("val");
      await dashlet.getByRole("button", { name: "Rank val" }).click();
      const rows = dashlet.locator('[data-testid="suspects-table"] tbody tr');
      await rows.first().waitFor({ timeout: 300_000 });
      await atBothWidths(page, async (width) => {
        await dashlet.scrollIntoViewIfNeeded();
        const ids = await rows.evaluateAll((trs) => trs.slice(0, 3).map((r) => r.children[1]?.textContent ?? ""));
        await rows.first().click(); // opens it, and gives the list the keys
        await waitForSample(page, ids[0], "clicking the first suspect");
        await page.keyboard.press("ArrowDown");
        await waitForSample(page, ids[1], "↓ in the suspects list");
        await page.keyboard.press("k");
        await waitForSample(page, ids[0], "k in the suspects list");
        await page.keyboard.press("j");
        await waitForSample(page, ids[1], "j in the suspects list");
        await expectDrawerClosable(page, width);
        await expectNoSidewaysScroll(page, `suspects at ${width} px`);
        await shot(page, `15-suspects-stepped-${width}`);
        await page.getByRole("button", { name: "Close panel" }).click();
        await page.getByTestId("sample-panel").waitFor({ state: "detached" });
      });
    });

    await step("while a long training runs: epoch 1's map opens and a sample is analyzed; then cancel it", async () => {
      // Lanes: the map of epoch 1 and an analysis run on the interactive worker while the bulk worker trains.
      const url = new URL(page.url());
      const project = url.pathname.split("/")[2];
      const api = async <T>(path: string): Promise<T> => (await (await fetch(`${base}/api${path}`, auth)).json()) as T;
      const before = await api<{ id: number }[]>(`/projects/${project}/versions`);
      await page.getByRole("link", { name: "Dashboard" }).click();
      await page.getByRole("button", { name: "Train…" }).click();
      await page.locator('input[name="epochs"]').fill("40");
      await page.locator('input[name="embedding_dim"]').fill("32");
      await page.locator('input[name="num_filters"]').fill("32");
      await page.locator('[role="dialog"] button[type="submit"]').click();
      let version = 0;
      const deadline = Date.now() + 300_000;
      for (; Date.now() < deadline; await page.waitForTimeout(500)) {
        const now = await api<{ id: number; epochs_done: number }[]>(`/projects/${project}/versions`);
        const added = now.find((v) => !before.some((b) => b.id === v.id));
        if (added) version = added.id;
        if (added && added.epochs_done >= 1) break;
      }
      if (!version) throw new Error("the training made no version");
      const trainingJob = async () =>
        (await api<{ id: number; kind: string; state: string }[]>(`/jobs?version_id=${version}`)).find(
          (j) => j.kind === "train",
        );
      const stillTraining = async (what: string) => {
        const job = await trainingJob();
        if (!job || !["PENDING", "STARTED", "PROGRESS"].includes(job.state))
          throw new Error(`the training ended (${job?.state}) before ${what}: nothing shown while it ran`);
        return job;
      };
      const t0 = Date.now();
      await page.getByRole("link", { name: "Population" }).click();
      const mapUrl = new URL(page.url());
      for (const key of ["sample", "insight", "epoch", "colour", "size"]) mapUrl.searchParams.delete(key);
      mapUrl.searchParams.set("version", String(version));
      await page.goto(mapUrl.toString());
      await page.getByTestId("point-map").waitFor({ timeout: 240_000 });
      await stillTraining("epoch 1's map was drawn");
      await shot(page, "13-map-while-training");
      const mapSeconds = (Date.now() - t0) / 1000;

      const t1 = Date.now();
      await page.getByRole("link", { name: "Dashboard" }).click();
      const first = page.locator('[data-testid="loss-table"] tbody tr').first();
      await first.waitFor({ timeout: 30_000 });
      await first.click();
      await page.getByTestId("sample-panel").waitFor();
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await page.getByTestId("analysis-summary").waitFor({ timeout: 120_000 });
      const job = await stillTraining("the analysis finished");
      await shot(page, "14-analysis-while-training");
      await page.keyboard.press("Escape");
      const analysisSeconds = (Date.now() - t1) / 1000;

      // Cancel it from the jobs tray: the job is revoked and the version says cancelled.
      const card = page.locator(`[data-testid="job-card"][data-job-id="${job.id}"]`);
      await card.getByRole("button", { name: "Cancel" }).click();
      await page.locator(`[data-testid="job-card"][data-job-id="${job.id}"][data-state="REVOKED"]`).waitFor({
        timeout: 60_000,
      });
      const status = (await api<{ status: string }>(`/versions/${version}`)).status;
      if (status !== "cancelled") throw new Error(`the cancelled training's version is ${status}`);
      console.log(
        `     epoch 1's map drawn ${mapSeconds.toFixed(1)} s and an analysis done ${analysisSeconds.toFixed(1)} s ` +
          "after epoch 1, the training still running; then cancelled from the tray",
      );
    });

    await step("the report prints to a clean A4 PDF: fits the page, no dark panel", async () => {
      const url = new URL(page.url());
      const projectId = url.pathname.split("/")[2];
      const version = url.searchParams.get("version");
      await page.goto(`${base}/projects/${projectId}/versions/${version}/report`);
      await page.getByTestId("version-report").waitFor();
      await page.waitForTimeout(2500);
      await shot(page, "25-report-screen");
      await atBothWidths(page, async (width) => {
        await page.waitForTimeout(1000);
        await expectNoSidewaysScroll(page, `report at ${width} px`);
        await shot(page, `25-report-screen-${width}`);
      });
      // A4 is 210 mm wide; less the 12 mm margins that is 186 mm = 703 CSS px at 96 px per inch.
      await page.setViewportSize({ width: 703, height: 1000 });
      await page.emulateMedia({ media: "print" });
      await page.waitForTimeout(1500);
      const r = await page.evaluate(() => {
        const dark: string[] = [];
        const outside: string[] = [];
        const limit = document.documentElement.clientWidth;
        for (const el of document.querySelectorAll<HTMLElement>(".report *, .report")) {
          // The confusion matrix's cells keep their heat colours on paper: data, not a panel.
          if (el.closest(".confusion td")) continue;
          const box = el.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) continue;
          if (box.right > limit + 1) outside.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
          const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(getComputedStyle(el).backgroundColor);
          if (m && (m[4] === undefined || Number(m[4]) > 0.5) && box.width > 60 && box.height > 40) {
            const lum = (0.2126 * Number(m[1]) + 0.7152 * Number(m[2]) + 0.0722 * Number(m[3])) / 255;
            if (lum < 0.5) dark.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
          }
        }
        const pale = [...document.querySelectorAll<HTMLElement>(".report td, .report th")].filter((el) => {
          const m = /rgba?\((\d+), (\d+), (\d+)/.exec(getComputedStyle(el).color);
          return m !== null && Number(m[1]) + Number(m[2]) + Number(m[3]) > 600;
        }).length;
        return { scroll: document.documentElement.scrollWidth - limit, outside, dark, pale };
      });
      expect(r.scroll <= 1, `the printed report is no wider than the page (${r.scroll} px over)`);
      expect(r.outside.length === 0, `nothing runs off the page's right edge (${r.outside.slice(0, 5).join(", ")})`);
      expect(r.dark.length === 0, `no dark panel on paper (${r.dark.slice(0, 5).join(", ")})`);
      expect(r.pale === 0, `no white-on-white table text (${r.pale} cells)`);
      await shot(page, "26-report-print-media");
      const pdf = await page.pdf({ path: join(OUT, "report.pdf"), format: "A4", printBackground: true });
      const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString("latin1"));
      expect(box !== null && Math.abs(Number(box[1]) - 595.9) < 2, `the PDF's pages are A4 (${box?.[1]} pt wide)`);
      const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      console.log(`     report.pdf: ${pages} A4 page(s), ${pdf.length} bytes`);
      await page.emulateMedia({ media: null });
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    await step("the API docs load from this server under the same policy", async () => {
      const response = await page.goto(`${base}/docs`);
      expect(
        response?.headers()["content-security-policy"]?.includes("script-src 'self'") === true,
        "/docs is served with the CSP",
      );
      await page.locator(".swagger-ui .info .title").filter({ hasText: "Lensboard" }).waitFor({ timeout: 30_000 });
      await page.locator(".opblock").first().waitFor();
      const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src));
      expect(
        scripts.every((src) => src.startsWith(`${base}/docs/`)),
        `every script of /docs is this server's: ${scripts.join(", ")}`,
      );
      await shot(page, "14-api-docs");
    });

    // Nothing to wait for here: the checks are synchronous (a throw still fails the step).
    await step("no CSP violation, no console error and no API 404/409 on any page", () => {
      const { violations, consoleErrors, expectedErrors } = policy.report();
      expect(
        expectedErrors.length === 0,
        `no 404/409 from the API while walking the dashboard (got: ${[...new Set(expectedErrors)].slice(0, 6).join("; ")})`,
      );
      expect(violations.length === 0, `no CSP violation (got: ${violations.slice(0, 5).join("; ")})`);
      expect(consoleErrors.length === 0, `no console error (got: ${consoleErrors.slice(0, 5).join("; ")})`);
      return Promise.resolve();
    });

    if (pageErrors.length) throw new Error(`uncaught page errors: ${pageErrors.join("; ")}`);
  } finally {
    await browser.close();
    stack?.stop();
    if (stack && !process.env.E2E_KEEP) rmSync(stack.dataDir, { recursive: true, force: true });
    console.log(`screenshots: ${OUT}`);
    console.log(`${passed} passed, ${failed} failed`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
