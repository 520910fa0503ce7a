/** Starts the real stack for browser tests: a migrated SQLite data dir, the API (uvicorn) and a Celery worker. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = resolve(FRONTEND, "..");

/** The repository's venv; a helper worktree borrows the main checkout's (LENSBOARD_PYTHON overrides both). */
export function python(): string {
  const candidates = [process.env.LENSBOARD_PYTHON, join(ROOT, ".venv/bin/python"), "/work/main/.venv/bin/python"];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error(`no Python venv found (tried ${candidates.filter(Boolean).join(", ")})`);
  return found;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Outside CI a missing browser skips with a message; under CI=true it is a failure. */
export function requireChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === "true") throw new Error(msg);
  console.log(`SKIP: ${msg}`);
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

export interface Stack {
  baseUrl: string;
  dataDir: string;
  stop: () => void;
  /** A site administrator: the page signs in with the password; the token serves the test's own fetch() calls. */
  username: string;
  password: string;
  token: string;
  /** Headers for direct API calls from the test (the browser uses its session cookie). */
  auth: Record<string, string>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: "inherit", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

export async function startStack(): Promise<Stack> {
  const py = python();
  const dataDir = mkdtempSync(join(tmpdir(), "lensboard-e2e-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: ROOT,
    DATABASE_URL: `sqlite:///${join(dataDir, "lensboard.sqlite")}`,
    LENSBOARD_DATA_DIR: dataDir,
    LENSBOARD_QUEUE: `e2e-${process.pid}`,
    LENSBOARD_FRONTEND_DIST: join(FRONTEND, "dist"),
    LENSBOARD_TORCH_THREADS: "1",
    OMP_NUM_THREADS: "1",
  };
  run(py, ["-m", "alembic", "upgrade", "head"], env);
  const username = "e2e";
  const password = `pw-${process.pid}-${Date.now()}`;
  const created = spawnSync(
    py,
    ["-m", "backend.cli.main", "users", "create", username, "--admin", "--password-stdin"],
    { cwd: ROOT, env, input: `${password}\n`, encoding: "utf-8", timeout: 120_000 },
  );
  if (created.status !== 0) throw new Error(`creating the e2e user failed: ${created.stderr}`);
  const issued = spawnSync(py, ["-m", "backend.cli.main", "users", "token", username], {
    cwd: ROOT,
    env,
    encoding: "utf-8",
    timeout: 120_000,
  });
  if (issued.status !== 0) throw new Error(`issuing the e2e token failed: ${issued.stderr}`);
  const token = issued.stdout.trim();
  const log = (name: string) => openSync(join(dataDir, `${name}.log`), "a");
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  };
  children.push(
    spawn(py, ["-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", String(port)], {
      cwd: ROOT,
      env,
      stdio: ["ignore", log("api"), log("api")],
    }),
  );
  // One worker per lane, started as `lensboard serve` starts them in the embedded default, so that an
  // analysis or a map never waits behind a training here either.
  for (const lane of ["bulk", "interactive"])
    children.push(
      spawn(py, ["-m", "backend.cli.main", "worker", "--lane", lane, "--concurrency", "1"], {
        cwd: ROOT,
        env,
        stdio: ["ignore", log(`worker-${lane}`), log(`worker-${lane}`)],
      }),
    );
  process.on("exit", stop);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/api/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the API did not start; see ${dataDir}/api.log`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { baseUrl, dataDir, stop, username, password, token, auth: { Authorization: `Bearer ${token}` } };
}

/** Markup and a very long word (synthetic) that must stay inert text wherever review text appears. */
export const LONG_WORD = "Unbreakable".repeat(455); // 5,005 characters without a space
export const HOSTILE =
  `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> ` +
  `<a href="javascript:window.__pwned=3">click</a> ${LONG_WORD} `;

/** A seeded ~1,000-review subset of the shared archive in which every other review of each folder starts with
 * HOSTILE, so that hostile reviews reach every view (top-loss tables, map hovers) whatever the model learns. */
export function buildSubset(dataDir: string, perClass = 125): { path: string; hostileKey: string } {
  const archive = process.env.LENSBOARD_IMDB_ARCHIVE ?? resolve(ROOT, "../shared/data/aclImdb_v1_labeled.tar.gz");
  const fallback = "/work/shared/data/aclImdb_v1_labeled.tar.gz";
  const source = existsSync(archive) ? archive : fallback;
  if (!existsSync(source)) throw new Error(`IMDB archive not found at ${archive}`);
  const script = `
import sys, pathlib
from tests.support.imdb_subset import build_subset
root = build_subset(sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3]))
for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
    for f in sorted(folder.glob("*.txt"))[::2]:
        f.write_text(sys.argv[4] + f.read_text(encoding="utf-8"), encoding="utf-8")
first = sorted((root / "test" / "neg").glob("*.txt"))[0]
print(f"test/neg/{first.stem}")
`;
  // Under the data folder's imports/, the one import root of a default server (the rest of it is refused).
  const dest = join(dataDir, "imports", "subset");
  const r = spawnSync(python(), ["-c", script, source, dest, String(perClass), HOSTILE], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: ROOT },
    encoding: "utf-8",
  });
  if (r.status !== 0) throw new Error(`building the subset failed: ${r.stderr}`);
  return { path: join(dest, "aclImdb"), hostileKey: r.stdout.trim() };
}
