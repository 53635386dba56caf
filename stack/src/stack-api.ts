/**
 * What the CLIs that talk HTTP to a running stack share (experiments-command.ts,
 * features-command.ts): the target and API key from flags or the environment, a JSON call whose
 * failures say what answered and how to fix it, and a plain text table.
 */

/** A usage error: the CLI prints it with its usage and exits 2. */
export class StackCommandUsageError extends Error {}

/** The stack answered with an error (or not at all): the CLI prints it and exits 1. */
export class StackApiError extends Error {}

export const DEFAULT_TARGET = 'http://127.0.0.1:8080';

export interface StackApiDeps {
  /** Environment: STREAMLOOP_URL and STREAMLOOP_API_KEY when no flag gives them. */
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
}

export type StackCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** `keyHint`: what to say when no key was given (which scopes, how to make a key). */
export function stackApiClient(
  values: { target?: string | undefined; key?: string | undefined },
  deps: StackApiDeps,
  keyHint: string,
): StackCall {
  const rawTarget = values.target ?? deps.env.STREAMLOOP_URL ?? DEFAULT_TARGET;
  let target: URL;
  try {
    target = new URL(rawTarget);
  } catch {
    throw new StackCommandUsageError(`--target must be the stack's http(s) URL, not "${rawTarget}"`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new StackCommandUsageError(`--target must be the stack's http(s) URL, not "${rawTarget}"`);
  const key = values.key ?? deps.env.STREAMLOOP_API_KEY;
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (key === undefined || key === '') throw new StackCommandUsageError(keyHint);
    const url = new URL(path, target);
    const response = await deps
      .fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      .catch((error: unknown) => {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new StackApiError(
          `the stack at ${url.origin} is unreachable (${cause}); is it running? (--target)`,
        );
      });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new StackApiError(
        `${method} ${url.pathname} answered ${response.status}${error?.code ? ` ${error.code}` : ''}: ${error?.message ?? text.slice(0, 200)}`,
      );
    }
    if (parsed === undefined)
      throw new StackApiError(`${method} ${url.pathname} answered ${response.status} without JSON`);
    return parsed as T;
  };
}

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows]
    .map((cells) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
