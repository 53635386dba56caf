/**
 * `/sdk/`: the player SDK's script-tag bundle and stylesheet for any site, at two kinds of URL:
 *
 * - `/sdk/v<major>/streamloop-player.min.{js,css}`: stable within a major version, cached 5 minutes
 *   so a patch release reaches every site that links it within minutes;
 * - `/sdk/streamloop-player.<hash>.min.{js,css}`: named by content (see player-sdk's
 *   `dist/sdk-manifest.json`), cached for a year as immutable, for pages that pin a build with SRI.
 *
 * Both are readable from any origin: `Access-Control-Allow-Origin: *` (an SRI check on a
 * cross-origin script needs a CORS response) and `Cross-Origin-Resource-Policy: cross-origin` (sites
 * under COEP). No credentials are ever involved.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '@streamloop/core/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface SdkRoutesDeps {
  /** Absolute path of the player-sdk build (`dist/`); default: the installed @streamloop/player-sdk. */
  sdkDir?: string;
}

/** What player-sdk's build writes to `dist/sdk-manifest.json`. */
export interface SdkManifest {
  version: string;
  major: number;
  script: SdkFile;
  stylesheet: SdkFile;
}
export interface SdkFile {
  /** The build's unhashed file name in dist/. */
  source: string;
  /** The content-hashed copy's name in dist/. */
  file: string;
  /** Subresource Integrity value (`sha384-…`). */
  integrity: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const STABLE_CACHE = 'public, max-age=300';
const HASHED_CACHE = 'public, max-age=31536000, immutable';
const HASHED_NAME = /^streamloop-player\.[0-9a-f]{16}\.min\.(js|css)$/;

function playerSdkRoot(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@streamloop/player-sdk/package.json'));
}

/** The player-sdk build folder, found through the package (its exports list `./package.json`). */
export function playerSdkDistDir(): string {
  return path.join(playerSdkRoot(), 'dist');
}

/** The installed SDK's major version, from its package.json (present even before a build). */
export function sdkMajorVersion(): number {
  const pkg = createRequire(import.meta.url)(path.join(playerSdkRoot(), 'package.json')) as {
    version: string;
  };
  return Number(pkg.version.split('.')[0]);
}

/** The stable (major-versioned) URLs, which pages of this origin link. */
export function sdkUrls(major: number): { script: string; stylesheet: string } {
  return {
    script: `/sdk/v${major}/streamloop-player.min.js`,
    stylesheet: `/sdk/v${major}/streamloop-player.min.css`,
  };
}

/** Reads `dist/sdk-manifest.json`; undefined when the SDK is not built. */
export async function readSdkManifest(sdkDir: string): Promise<SdkManifest | undefined> {
  const text = await readFile(path.join(sdkDir, 'sdk-manifest.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as SdkManifest);
}

async function sendFile(
  reply: FastifyReply,
  filePath: string,
  contentType: string,
  cacheControl: string,
  ifNoneMatch: string | undefined,
): Promise<FastifyReply> {
  const info = await stat(filePath).catch(() => undefined);
  if (info === undefined) {
    reply.log.warn({ filePath }, 'player bundle missing; build @streamloop/player-sdk');
    throw new AppError('ERR_NOT_FOUND', `${path.basename(filePath)} is not built; run \`npm run build\``);
  }
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  reply
    .header('content-type', contentType)
    .header('cache-control', cacheControl)
    .header('etag', etag)
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('x-content-type-options', 'nosniff');
  if (ifNoneMatch === etag) return reply.code(304).send();
  return reply.header('content-length', info.size).send(createReadStream(filePath));
}

export function registerSdkRoutes(app: FastifyInstance, deps: SdkRoutesDeps = {}): void {
  let sdkDir = deps.sdkDir;
  const distDir = (): string => {
    sdkDir ??= playerSdkDistDir();
    return sdkDir;
  };

  app.get<{ Params: { major: string; file: string } }>('/sdk/:major/:file', async (request, reply) => {
    const { major, file } = request.params;
    const current = `v${sdkMajorVersion()}`;
    if (major !== current) throw new AppError('ERR_NOT_FOUND', `no SDK ${major}; this server has ${current}`);
    const source =
      file === 'streamloop-player.min.js'
        ? { name: 'streamloop-player.min.js', type: JS }
        : file === 'streamloop-player.min.css'
          ? { name: 'video-js.min.css', type: CSS }
          : undefined;
    if (source === undefined) throw new AppError('ERR_NOT_FOUND', `no SDK file ${file}`);
    return sendFile(
      reply,
      path.join(distDir(), source.name),
      source.type,
      STABLE_CACHE,
      request.headers['if-none-match'],
    );
  });

  app.get<{ Params: { file: string } }>('/sdk/:file', async (request, reply) => {
    const { file } = request.params;
    const manifest = HASHED_NAME.test(file) ? await readSdkManifest(distDir()) : undefined;
    // Only the current build's names: a stale hashed file must not be served as immutable.
    const known = [manifest?.script, manifest?.stylesheet].find((f) => f?.file === file);
    if (known === undefined) throw new AppError('ERR_NOT_FOUND', `no SDK file ${file}`);
    return sendFile(
      reply,
      path.join(distDir(), known.file),
      file.endsWith('.js') ? JS : CSS,
      HASHED_CACHE,
      request.headers['if-none-match'],
    );
  });
}
