/**
 * A fetch that retries network errors and 5xx answers with exponential backoff. The request is cloned per try,
 * so its Idempotency-Key header (set by the client) is the same on every try and the service counts it once.
 */
export type Fetch = (input: Request) => Promise<Response>;

/**
 * Wraps `fetch` to retry up to `retries` times.
 * @example const f = retryingFetch(globalThis.fetch, 3)
 */
export function retryingFetch(fetch: Fetch, retries: number, baseDelayMs = 50): Fetch {
  return async (request: Request) => {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= retries;
      try {
        const res = await fetch(last ? request : request.clone());
        if (res.status < 500 || last) return res;
        await res.body?.cancel();
      } catch (err) {
        if (last) throw err;
      }
      await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** attempt * (0.5 + Math.random())));
    }
  };
}
