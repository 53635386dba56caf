/**
 * Checks made in front of @tus/server, before it (or the store) sees the request, for what it gets
 * wrong or cannot know (FACTS.md: @tus/server answers 400 where tus 1.0 says 412 and 415):
 * - 412 + `Tus-Version` for a missing or unsupported `Tus-Resumable` (OPTIONS excepted);
 * - 415 for a PATCH whose Content-Type is not `application/offset+octet-stream`;
 * - 413 for a creation whose `Upload-Length` is over the limit, 415 for a declared `filetype` that
 *   is not allowed — both before a byte is stored.
 */
import { Metadata, TUS_RESUMABLE } from '@tus/utils';

export interface UploadLimits {
  /** Larger uploads are refused with 413. */
  maxUploadBytes: number;
  /**
   * Media types a creation may declare in `Upload-Metadata filetype` ('video/*' style wildcards).
   * Undefined: any. An upload that declares no type is let through; transcode probes the content.
   */
  allowedTypes?: readonly string[] | undefined;
}

export interface TusRefusal {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const PATCH_CONTENT_TYPE = 'application/offset+octet-stream';

type Headers = Record<string, string | string[] | undefined>;

export function checkTusRequest(
  method: string,
  headers: Headers,
  limits: UploadLimits,
): TusRefusal | undefined {
  if (method === 'OPTIONS') return undefined;
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const resumable = header('tus-resumable');
  if (resumable !== TUS_RESUMABLE) {
    return refuse(
      412,
      `Tus-Resumable ${resumable === undefined ? 'is required' : `${resumable} is not supported`}; this server speaks ${TUS_RESUMABLE}`,
      {
        'Tus-Version': TUS_RESUMABLE,
      },
    );
  }
  if (method === 'PATCH') {
    const contentType = header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== PATCH_CONTENT_TYPE)
      return refuse(415, `PATCH needs Content-Type: ${PATCH_CONTENT_TYPE}, got ${contentType ?? 'none'}`);
  }
  if (method === 'POST') {
    const length = header('upload-length');
    if (length !== undefined && /^\d+$/.test(length) && Number(length) > limits.maxUploadBytes)
      return refuse(413, `Upload-Length ${length} is over the limit of ${limits.maxUploadBytes} bytes`);
    const filetype = declaredType(header('upload-metadata'));
    if (filetype !== undefined && !isAllowedType(filetype, limits.allowedTypes))
      return refuse(415, `filetype ${filetype} is not accepted; allowed: ${limits.allowedTypes?.join(', ')}`);
  }
  return undefined;
}

export function isAllowedType(type: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined) return true;
  const lower = type.toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.endsWith('/*') ? lower.startsWith(p.slice(0, -1)) : lower === p;
  });
}

function declaredType(uploadMetadata: string | undefined): string | undefined {
  if (uploadMetadata === undefined) return undefined;
  try {
    return Metadata.parse(uploadMetadata).filetype?.trim() || undefined;
  } catch {
    return undefined; // Malformed metadata: @tus/server answers 400 for it.
  }
}

function refuse(status: number, message: string, headers: Record<string, string> = {}): TusRefusal {
  return {
    status,
    body: `${message}\n`,
    headers: {
      'Tus-Resumable': TUS_RESUMABLE,
      'Content-Type': 'text/plain; charset=utf-8',
      'Access-Control-Allow-Origin': '*',
      ...headers,
    },
  };
}
