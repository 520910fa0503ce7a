import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The API serves dist/ in embedded mode; in development Vite proxies /api to a local API server.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": process.env.LENSBOARD_API ?? "http://127.0.0.1:8000" } },
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
