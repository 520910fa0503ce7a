/** The typed API client, generated from the backend's OpenAPI (src/api/schema.gen.ts). */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.gen";

export type Schemas = components["schemas"];
export type Project = Schemas["ProjectOut"];
export type Version = Schemas["VersionOut"];
export type Job = Schemas["JobOut"];
export type Dataset = Schemas["DatasetOut"];
export type SampleRow = Schemas["SampleRow"];
export type SampleDetail = Schemas["SampleDetail"];
export type BatchMetric = Schemas["BatchMetricOut"];
export type EpochMetric = Schemas["EpochMetricOut"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session's CSRF token: the server sets it in a readable cookie beside the HttpOnly session cookie. */
export function csrfToken(): string {
  if (typeof document === "undefined") return "";
  const hit = document.cookie.split("; ").find((c) => c.startsWith("lensboard_csrf="));
  return hit ? decodeURIComponent(hit.slice("lensboard_csrf=".length)) : "";
}

/** Every state-changing request echoes the CSRF token (double submit): the one place that decides it. */
function addCsrf(method: string, headers: Headers): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return false;
  headers.set("X-CSRF-Token", csrfToken());
  return true;
}

export function withCsrf(request: Request): Request {
  const headers = new Headers(request.headers);
  return addCsrf(request.method, headers) ? new Request(request, { headers }) : request;
}

// An absolute base: openapi-fetch builds Request objects, which need one outside a page (tests).
export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "" : window.location.origin,
  // Look fetch up per call (openapi-fetch would capture it once), so it can be swapped in tests.
  fetch: (request: Request) => globalThis.fetch(withCsrf(request)),
});

/** An API failure carrying the server's `detail` message and HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, message: string, body: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function detailOf(body: unknown, status: number): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  }
  return `request failed with HTTP ${status}`;
}

/**
 * Unwrap an openapi-fetch result: data on success, an ApiError with the server's message otherwise.
 * Network failures (the API is down) reach the caller as a TypeError from fetch, with a clearer text.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    throw new ApiError(0, `cannot reach the API (${errorMessage(e)})`);
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw new ApiError(response.status, detailOf(error, response.status), error);
  return data as T;
}

/** Raw fetch for endpoints whose response is not JSON (binary point payloads, exports). */
export async function fetchBinary(url: string, init?: RequestInit): Promise<ArrayBuffer> {
  return (await fetchOk(url, init)).arrayBuffer();
}

/** The response of a non-JSON endpoint, its body unread (to stream it); an ApiError when not 2xx. */
export async function fetchOk(url: string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    const headers = new Headers(init?.headers);
    addCsrf(init?.method ?? "GET", headers);
    response = await fetch(url, { ...init, headers });
  } catch (e) {
    throw new ApiError(0, `cannot reach the API (${errorMessage(e)})`);
  }
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(response.status, detailOf(body, response.status), body);
  }
  return response;
}
