// The script-tag bundle (IIFE, global `StreamloopPlayer`, video.js inside), the video.js stylesheet
// beside it, their content-hashed copies and SRI hashes in `dist/sdk-manifest.json` (what the stack
// serves at /sdk/ and the docs' snippet quote), and the size budget of the SDK's own code (video.js
// excluded), which fails the build.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const BUDGET_BYTES = 15_000;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const common = {
  bundle: true,
  minify: true,
  target: ['es2020'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

await mkdir(dist, { recursive: true });

const bundle = await build({
  ...common,
  entryPoints: [path.join(root, 'src/browser-global.ts')],
  format: 'iife',
  globalName: 'StreamloopPlayer',
  // video.js is Apache-2.0: its notices travel with the code.
  legalComments: 'eof',
  // Beside the bundle, not referenced from it (the served bytes stay the same): bench/src/sdk maps a
  // CPU profile of the minified script back to the SDK's files with it.
  sourcemap: 'external',
  sourcesContent: false,
  outfile: path.join(dist, 'streamloop-player.min.js'),
  write: false,
});
const output = (suffix) => bundle.outputFiles.find((file) => file.path.endsWith(suffix)).contents;
const bundleCode = output('.min.js');
await writeFile(path.join(dist, 'streamloop-player.min.js'), bundleCode);
await writeFile(path.join(dist, 'streamloop-player.min.js.map'), output('.min.js.map'));

const own = await build({
  ...common,
  entryPoints: [path.join(root, 'src/index.ts')],
  format: 'esm',
  external: ['video.js'],
  legalComments: 'none',
  write: false,
});
const ownGzip = gzipSync(own.outputFiles[0].contents, { level: 9 }).length;

const videojsDir = path.dirname(createRequire(import.meta.url).resolve('video.js/package.json'));
await copyFile(path.join(videojsDir, 'dist/video-js.min.css'), path.join(dist, 'video-js.min.css'));

const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const cssCode = await readFile(path.join(dist, 'video-js.min.css'));
// Stale hashed copies from earlier builds would be served forever otherwise.
for (const name of await readdir(dist)) {
  if (/^streamloop-player\.[0-9a-f]{16}\.min\.(js|css)$/.test(name)) await rm(path.join(dist, name));
}
/** A content-hashed copy of `code` and its Subresource Integrity value (sha384, as browsers check it). */
async function hashed(code, ext) {
  const hex = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = `streamloop-player.${hex}.min.${ext}`;
  await writeFile(path.join(dist, file), code);
  return { file, integrity: `sha384-${createHash('sha384').update(code).digest('base64')}` };
}
const manifest = {
  version,
  major: Number(version.split('.')[0]),
  script: { source: 'streamloop-player.min.js', ...(await hashed(bundleCode, 'js')) },
  stylesheet: { source: 'video-js.min.css', ...(await hashed(cssCode, 'css')) },
};
await writeFile(path.join(dist, 'sdk-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

process.stdout.write(
  `player-sdk: ${manifest.script.file} integrity ${manifest.script.integrity}\n` +
    `player-sdk: ${manifest.stylesheet.file} integrity ${manifest.stylesheet.integrity}\n`,
);
process.stdout.write(
  `player-sdk: SDK code ${kB(ownGzip)} gzip (budget ${kB(BUDGET_BYTES)}); ` +
    `dist/streamloop-player.min.js ${kB(gzipSync(bundleCode, { level: 9 }).length)} gzip with video.js\n`,
);
if (ownGzip > BUDGET_BYTES) {
  process.stderr.write(
    `player-sdk: the SDK's own code is ${kB(ownGzip)} gzip, over its ${kB(BUDGET_BYTES)} budget\n`,
  );
  process.exit(1);
}
