// ESLint over the dashboard, its end-to-end tests and its benchmark, with type information from the
// tsconfigs (tsconfig.app.json: src and the benchmark's page; tsconfig.node.json: e2e, bench scripts, Vite config).
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // The generated API client is openapi-typescript's output, kept fresh by `make check-client`.
  { ignores: ["dist/", "node_modules/", "src/api/schema.gen.ts"] },
  {
    files: ["src/**/*.{ts,tsx}", "e2e/**/*.ts", "bench/**/*.{ts,tsx}", "vite.config.ts"],
    extends: [
      js.configs.recommended,
      tseslint.configs.recommendedTypeChecked,
      reactHooks.configs.flat["recommended-latest"],
    ],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
  },
  {
    files: ["e2e/**/*.ts", "bench/*.ts", "vite.config.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
);
