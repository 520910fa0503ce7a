import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The API serves dist/ in embedded mode; in development Vite proxies /api to a local API server.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": process.env.LENSBOARD_API ?? "http://127.0.0.1:8000" } },
  // Pages and views are split by route; the largest chunk is ECharts' (about 590 kB, loaded by the views
  // with charts only). A chunk past this limit means something heavy slid into a shared chunk.
  build: { outDir: "dist", chunkSizeWarningLimit: 650 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // Rendering every field of every architecture's form takes seconds in jsdom on a busy 2-core machine; the
    // 5 s default failed such tests for load, not behaviour. Speed is measured by the benches, not here.
    testTimeout: 30_000,
  },
});
