/**
 * `streamloop-features status|rollback SET`: the feature store's versioned sets from a terminal,
 * over HTTP to a running stack (the embedded feature store lives inside it; a Redis one is shared by
 * every replica, and the API is how any of them is reached). Pure over its inputs; features-cli.ts is
 * the composition root.
 */
import { parseArgs } from 'node:util';
import {
  FEATURE_SET_NAMES,
  type FeatureSetName,
  type FeatureSetVersion,
  type FeatureStatusResponse,
} from '@streamloop/core/features';
import { type StackApiDeps, StackCommandUsageError, stackApiClient, table } from './stack-api.js';

export const FEATURES_USAGE = `usage (a key with the 'analytics-read' scope for status, 'manage' for rollback: --key, else STREAMLOOP_API_KEY;
       the stack: --target, else STREAMLOOP_URL, else http://127.0.0.1:8080):
  streamloop-features status
  streamloop-features rollback ${FEATURE_SET_NAMES.join('|')}`;

type SetStatus = FeatureStatusResponse['sets'][number];

export async function runFeaturesCommand(argv: readonly string[], deps: StackApiDeps): Promise<string> {
  const [command, ...rest] = argv;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    throw new StackCommandUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const api = stackApiClient(
    values,
    deps,
    "needs an API key with the 'analytics-read' scope (and 'manage' to roll back): --key KEY or STREAMLOOP_API_KEY (make one with `npm run keys -w stack -- create --scopes analytics-read,manage`)",
  );
  switch (command) {
    case 'status': {
      if (positionals.length > 0) throw new StackCommandUsageError('status takes no arguments');
      const { sets } = await api<FeatureStatusResponse>('GET', '/api/v1/features/status');
      return table(
        ['SET', 'LIVE', 'ROWS', 'BYTES', 'PUBLISHED', 'FRESHNESS', 'PREVIOUS'],
        sets.map((s) => [
          s.set,
          s.live === null ? 'none published' : `v${s.live.version}`,
          s.live === null ? '-' : String(s.live.rows),
          s.live === null ? '-' : String(s.live.bytes),
          s.live?.publishedAt ?? '-',
          s.freshnessSeconds === null ? '-' : age(s.freshnessSeconds),
          s.previous === null ? '-' : `v${s.previous.version}`,
        ]),
      );
    }
    case 'rollback': {
      const [set, extra] = positionals;
      if (set === undefined || !FEATURE_SET_NAMES.includes(set as FeatureSetName))
        throw new StackCommandUsageError(
          `rollback needs the set: one of ${FEATURE_SET_NAMES.join(', ')}${set === undefined ? '' : `, not ${set}`}`,
        );
      if (extra !== undefined) throw new StackCommandUsageError(`rollback takes one set, got ${extra} too`);
      const now = await api<SetStatus>('POST', `/api/v1/features/${set}/rollback`);
      return `${set}: ${version(now.live)} is live again; ${version(now.previous)} is previous (rollback again to undo)`;
    }
    default:
      throw new StackCommandUsageError(
        command === undefined ? 'no command given' : `unknown command ${command}`,
      );
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { target: { type: 'string' }, key: { type: 'string' } },
  });
}

const version = (v: FeatureSetVersion | null): string =>
  v === null ? 'no version' : `v${v.version} (${v.rows} rows, published ${v.publishedAt})`;

/** Seconds as the largest whole unit a person reads at a glance. */
function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
