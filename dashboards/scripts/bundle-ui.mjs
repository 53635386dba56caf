// The dashboards pages' own bundle step: each `src/ui/<page>-page.ts` (with what it imports) becomes
// one browser module, `dist/ui/<page>.js`, that mount-dashboards inlines under the page's CSP nonce.
// Core's schemas come in as types only; a runtime import of server code would fail the browser build.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/ui');
const PAGES = [
  'overview',
  'breakdown',
  'sessions',
  'experiments',
  'experiment',
  'ladder',
  'recommendations',
  'alerts',
];

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: Object.fromEntries(PAGES.map((page) => [page, path.join(root, `src/ui/${page}-page.ts`)])),
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  process.stdout.write(
    `dashboards: ${path.relative(root, path.resolve(file))} ${(output.bytes / 1000).toFixed(1)} kB\n`,
  );
}
