/** The API's side of a component test: JSON answers, and a fetch that answers each request from a handler. */

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The body as a 200, or a 404 with the API's error shape when there is none. */
export function jsonOr404(body: unknown): Response {
  return body === undefined || body === null ? jsonResponse(404, { detail: "not found" }) : jsonResponse(200, body);
}

/**
 * Replaces the global fetch (vi.unstubAllGlobals restores it). `answer` may return or throw, at once or
 * later; a throw reaches the caller as a rejected fetch, as a network failure would.
 */
export function stubFetch(answer: (request: Request) => Response | Promise<Response>) {
  const fetch = vi.fn((request: Request) => Promise.resolve(request).then(answer));
  vi.stubGlobal("fetch", fetch);
  return fetch;
}
