/**
 * One registry of error codes for every HTTP surface. Routes throw `AppError(code, message)`;
 * the shared error handler maps the code to its status and never leaks 5xx internals.
 */
export const ERROR_CODES = {
  ERR_VALIDATION: 400,
  ERR_BAD_REQUEST: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  ERR_SQL_REFUSED: 403,
  ERR_TOKEN_INVALID: 403,
  ERR_TOKEN_EXPIRED: 403,
  /** The video's owner restricts playback to listed domains and the requesting page is not one. */
  ERR_PLAYBACK_RESTRICTED: 403,
  ERR_NOT_FOUND: 404,
  ERR_VIDEO_NOT_READY: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_CONFLICT: 409,
  ERR_GONE: 410,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UPLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_SQL_LIMIT_EXCEEDED: 422,
  ERR_CHECKSUM_MISMATCH: 422,
  /** A ladder record that breaks core's LadderRecord schema, refused before the catalog stores it. */
  ERR_INVALID_LADDER_RECORD: 422,
  ERR_RATE_LIMITED: 429,
  ERR_INTERNAL: 500,
  /** A feature that needs a real S3 endpoint (direct multipart uploads) on the local-folder store. */
  ERR_S3_REQUIRED: 501,
  ERR_DEPENDENCY_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
  }
}

/** The body every error response carries. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(err: AppError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
}

/**
 * A configured real service that cannot be reached. Its message is one line a person can act on:
 * which service, which variable pointed at it, the address, why, and how to fix it.
 */
export class DependencyUnavailableError extends Error {
  readonly service: string;
  readonly variable: string;
  readonly address: string;
  constructor(service: string, variable: string, address: string, reason: string) {
    super(
      `cannot reach ${service} at ${variable}=${address} (${reason}); start it with \`npm run infra:up\` or unset ${variable} to use the embedded default`,
    );
    this.name = 'DependencyUnavailableError';
    this.service = service;
    this.variable = variable;
    this.address = address;
  }
}

/** A short human reason from any thrown value, for one-line messages (no stack). */
export function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reasonOf(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const message = err.message.split('\n')[0] ?? '';
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message || err.name;
  }
  return String(err);
}

/** Rejects with `onTimeout()` when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
