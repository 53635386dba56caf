// The dashboards pages' own bundle step: each `src/ui/<page>-page.ts` (with what it imports) becomes
// one browser module, `dist/ui/<page>.js`, that mount-dashboards inlines under the page's CSP nonce.
// Core's schemas come in as types only; a runtime import of server code would fail the browser build.
// A stylesheet a page imports (uPlot's, for the live page) comes out beside it as `dist/ui/<page>.css`,
// which mount-dashboards inlines with dashboards.css. Each page's script is all the JavaScript its
// first load fetches, so each is held to a gzip budget here, which fails the build (issue: < 150 kB).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/ui');
const BUDGET_GZIP_BYTES = 150_000;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const PAGES = [
  'overview',
  'breakdown',
  'sessions',
  'experiments',
  'experiment',
  'ladder',
  'recommendations',
  'alerts',
  'live',
  'videos',
  'view',
  'renditions',
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
/**
 * Third-party code whose licence asks for its notice in every copy: minifying drops its header (not a
 * `/*!` comment), so the notice goes back on top of each page that bundles it.
 */
const NOTICES = [
  {
    module: 'node_modules/uplot/',
    text: '/*! uPlot (μPlot) v1.6 — Copyright (c) Leon Sorokin — MIT License — https://github.com/leeoniya/uPlot */\n',
  },
];
const overBudget = [];
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const name = path.relative(root, path.resolve(file));
  if (!file.endsWith('.js')) {
    process.stdout.write(`dashboards: ${name} ${kB(output.bytes)}\n`);
    continue;
  }
  const inputs = Object.keys(output.inputs);
  const notices = NOTICES.filter((notice) => inputs.some((input) => input.includes(notice.module)));
  if (notices.length > 0) {
    const code = await readFile(path.resolve(file), 'utf8');
    await writeFile(path.resolve(file), `${notices.map((notice) => notice.text).join('')}${code}`);
  }
  const gzip = gzipSync(await readFile(path.resolve(file)), { level: 9 }).length;
  process.stdout.write(
    `dashboards: ${name} ${kB(output.bytes)}, ${kB(gzip)} gzip (budget ${kB(BUDGET_GZIP_BYTES)})\n`,
  );
  if (gzip > BUDGET_GZIP_BYTES)
    overBudget.push(`the ${path.basename(file, '.js')} page's JavaScript (${name}) is ${kB(gzip)} gzip`);
}
if (overBudget.length > 0) {
  for (const problem of overBudget) {
    process.stderr.write(`dashboards: ${problem}, over its ${kB(BUDGET_GZIP_BYTES)} budget\n`);
  }
  process.exit(1);
}
