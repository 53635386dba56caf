/** Reading what a server answered, for the clients here (playback API, origin, collector). */

/** The body as JSON, or undefined when it is not (an error page, an empty body). */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The streamloop error body `{ error: { code, message } }`, when the answer is one. */
export function errorOfBody(text: string): { code?: string; message?: string } | undefined {
  return (parseJsonBody(text) as { error?: { code?: string; message?: string } } | undefined)?.error;
}

/** Why a fetch failed before any answer: undici's cause code (ECONNREFUSED, …) or the message. */
export function networkCauseOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
