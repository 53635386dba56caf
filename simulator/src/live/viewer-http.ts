/**
 * A `fetch` for one simulated viewer that sends from the viewer's own loopback address
 * (127.77.x.y): the stack limits per client address (playback API, collector), and a few hundred
 * viewers are a few hundred addresses in the real world, not one. Linux routes all of 127.0.0.0/8
 * to the loopback interface, so any of them can be bound without set-up. Connections are kept
 * alive per viewer, as a browser keeps them per origin.
 */
import http from 'node:http';
import { Readable } from 'node:stream';

export interface ViewerHttp {
  fetch: typeof fetch;
  /** Closes the viewer's idle connections. */
  close(): void;
}

/** The loopback address of the n-th viewer of a run (n from 0; 62,500 distinct before they repeat). */
export function viewerAddress(n: number): string {
  const k = n % 62_500;
  return `127.77.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

const headersOf = (init: RequestInit | undefined): Record<string, string> => {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
};

export function createViewerHttp(localAddress: string): ViewerHttp {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6, localAddress });
  const viewerFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'http:') {
        reject(new TypeError(`viewer fetch: only http: targets (${url.protocol})`));
        return;
      }
      const method = init?.method ?? 'GET';
      const request = http.request(
        url,
        { method, headers: headersOf(init), agent, ...(init?.signal ? { signal: init.signal } : {}) },
        (response) => {
          const status = response.statusCode ?? 0;
          const headers = new Headers();
          for (const [key, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
          }
          const empty = method === 'HEAD' || status === 204 || status === 304;
          if (empty) response.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), {
              status,
              headers,
            }),
          );
        },
      );
      request.on('error', reject);
      const body = init?.body;
      if (typeof body === 'string' || body instanceof Uint8Array) request.end(body);
      else request.end();
    });
  return {
    fetch: viewerFetch as typeof fetch,
    close: () => agent.destroy(),
  };
}
