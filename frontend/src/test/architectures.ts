import type { ArchitectureSpec } from "../api/versions";
import fixture from "./fixtures/architectures.json";

/** What GET /api/architectures serves (written by frontend/scripts/make_spec_fixtures.py, checked by pytest). */
export const ARCHITECTURES = fixture as ArchitectureSpec[];

export function architecture(name: string): ArchitectureSpec {
  const found = ARCHITECTURES.find((a) => a.name === name);
  if (!found) throw new Error(`no architecture ${name} in the fixture`);
  return found;
}
