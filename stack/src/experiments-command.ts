/**
 * `streamloop-experiments list|show|create|start|stop|results`: ladder A/B experiments from a
 * terminal. Unlike the keys command, which writes the catalog directly (for when no key or no server
 * exists yet), this one talks HTTP to a running stack — the experiments API is ingest's and the
 * results are analytics', so only the running services can answer. Pure over its inputs;
 * experiments-cli.ts is the composition root.
 */
import { parseArgs } from 'node:util';
import type { Experiment, ExperimentComparison, ExperimentResults } from '@streamloop/core/experiments';
import {
  StackCommandUsageError as ExperimentsUsageError,
  type StackApiDeps,
  type StackCall,
  stackApiClient,
  table,
} from './stack-api.js';

export const EXPERIMENTS_USAGE = `usage (a key with the 'experiments' scope, and 'analytics-read' for results: --key, else STREAMLOOP_API_KEY;
       the stack: --target, else STREAMLOOP_URL, else http://127.0.0.1:8080):
  streamloop-experiments list [--status draft|running|stopped|concluded]
  streamloop-experiments show EXPERIMENT_ID
  streamloop-experiments create --file experiment.json
  streamloop-experiments start EXPERIMENT_ID
  streamloop-experiments stop EXPERIMENT_ID [--reason TEXT]
  streamloop-experiments results EXPERIMENT_ID [--synthetic real|synthetic|all] [--egress-usd-per-gb N]`;

export {
  StackApiError as ExperimentsApiError,
  StackCommandUsageError as ExperimentsUsageError,
} from './stack-api.js';

export interface ExperimentsCommandDeps extends StackApiDeps {
  readFile: (file: string) => Promise<string>;
}

const STATUSES = ['draft', 'running', 'stopped', 'concluded'];
const SCOPES = ['real', 'synthetic', 'all'];

export async function runExperimentsCommand(
  argv: readonly string[],
  deps: ExperimentsCommandDeps,
): Promise<string> {
  const [command, ...rest] = argv;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    throw new ExperimentsUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const api = client(values, deps);
  const idOf = (): string => {
    const [id, extra] = positionals;
    if (id === undefined)
      throw new ExperimentsUsageError(`${command} needs the experiment id (see \`list\`)`);
    if (extra !== undefined)
      throw new ExperimentsUsageError(`${command} takes one experiment id, got ${extra} too`);
    return encodeURIComponent(id);
  };
  switch (command) {
    case 'list': {
      if (values.status !== undefined && !STATUSES.includes(values.status))
        throw new ExperimentsUsageError(
          `--status must be one of ${STATUSES.join(', ')}, got ${values.status}`,
        );
      const query = values.status === undefined ? '' : `?status=${values.status}`;
      const { experiments } = await api<{ experiments: Experiment[] }>('GET', `/api/v1/experiments${query}`);
      if (experiments.length === 0) return 'no experiments';
      return table(
        ['ID', 'STATUS', 'ARMS', 'PRIMARY', 'STARTED', 'NAME'],
        experiments.map((e) => [
          e.id,
          e.status,
          e.arms.map((arm) => `${arm.name} ${arm.trafficPercent}%`).join(', '),
          e.primaryMetric,
          e.startedAt ?? '-',
          e.name,
        ]),
      );
    }
    case 'show':
      return describeExperiment(await api<Experiment>('GET', `/api/v1/experiments/${idOf()}`));
    case 'create': {
      if (values.file === undefined)
        throw new ExperimentsUsageError(
          'create needs --file experiment.json (the definition, see docs/experiments.md)',
        );
      let text: string;
      try {
        text = await deps.readFile(values.file);
      } catch (error) {
        throw new ExperimentsUsageError(`cannot read --file ${values.file}: ${(error as Error).message}`);
      }
      let definition: unknown;
      try {
        definition = JSON.parse(text);
      } catch (error) {
        throw new ExperimentsUsageError(`--file ${values.file} is not JSON: ${(error as Error).message}`);
      }
      const created = await api<Experiment>('POST', '/api/v1/experiments', definition);
      return `created experiment ${created.id} (draft); start it with \`start ${created.id}\`\n${describeExperiment(created)}`;
    }
    case 'start': {
      const started = await api<{ experiment: Experiment; videos: number; encodesQueued: number }>(
        'POST',
        `/api/v1/experiments/${idOf()}/start`,
      );
      return `started experiment ${started.experiment.id}: ${started.videos} video(s) in scope, ${started.encodesQueued} encode(s) queued (a video's arms open once its ladders are ready)`;
    }
    case 'stop': {
      const body = values.reason === undefined ? undefined : { reason: values.reason };
      const stopped = await api<Experiment>('POST', `/api/v1/experiments/${idOf()}/stop`, body);
      return `stopped experiment ${stopped.id} at ${stopped.stoppedAt ?? '?'}${values.reason === undefined ? '' : ` (${values.reason})`}`;
    }
    case 'results': {
      const scope = values.synthetic;
      if (scope !== undefined && !SCOPES.includes(scope))
        throw new ExperimentsUsageError(`--synthetic must be one of ${SCOPES.join(', ')}, got ${scope}`);
      const price = values['egress-usd-per-gb'];
      if (price !== undefined && !(price.trim() !== '' && Number(price) >= 0 && Number(price) <= 10))
        throw new ExperimentsUsageError(
          `--egress-usd-per-gb must be a price from 0 to 10 (US$ per GB), got ${price}`,
        );
      const params = new URLSearchParams({
        ...(scope === undefined ? {} : { synthetic: scope }),
        ...(price === undefined ? {} : { egressUsdPerGb: String(Number(price)) }),
      }).toString();
      const query = params === '' ? '' : `?${params}`;
      return formatResults(
        await api<ExperimentResults>('GET', `/api/v1/experiments/${idOf()}/results${query}`),
      );
    }
    default:
      throw new ExperimentsUsageError(
        command === undefined ? 'no command given' : `unknown command ${command}`,
      );
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      key: { type: 'string' },
      status: { type: 'string' },
      file: { type: 'string' },
      reason: { type: 'string' },
      synthetic: { type: 'string' },
      'egress-usd-per-gb': { type: 'string' },
    },
  });
}

function client(
  values: { target?: string | undefined; key?: string | undefined },
  deps: ExperimentsCommandDeps,
): StackCall {
  return stackApiClient(
    values,
    deps,
    "needs an API key with the 'experiments' scope (and 'analytics-read' for results): --key KEY or STREAMLOOP_API_KEY (make one with `npm run keys -w stack -- create --scopes experiments,analytics-read`)",
  );
}

function describeExperiment(e: Experiment): string {
  const lines = [
    `${e.id}  ${e.status}  ${e.name}`,
    ...(e.hypothesis ? [`hypothesis: ${e.hypothesis}`] : []),
    `scope: ${scopeText(e.scope)}`,
    `primary metric: ${e.primaryMetric}; minimum ${e.minimumViewersPerArm} viewers per arm`,
    `guardrails: ${e.guardrails.length === 0 ? 'none' : e.guardrails.map((g) => `${g.metric} (margin ${g.marginPercent}%)`).join(', ')}`,
    table(
      ['ARM', 'LADDER', 'TRAFFIC', 'BUCKETS', 'STOPPED'],
      e.arms.map((arm) => [
        `${arm.name}${arm.control ? ' (control)' : ''}`,
        `${arm.ladderId}@${arm.ladderVersion}`,
        `${arm.trafficPercent}%`,
        `${arm.buckets.from}-${arm.buckets.to}`,
        arm.stopped === null ? '-' : `${arm.stopped.at}: ${arm.stopped.reason}`,
      ]),
    ),
    `created ${e.createdAt} by ${e.createdBy}; started ${e.startedAt ?? '-'}; stopped ${e.stoppedAt ?? '-'}`,
  ];
  return lines.join('\n');
}

function scopeText(scope: Experiment['scope']): string {
  const parts = [
    ...(scope.videoIds ? [`videos ${scope.videoIds.join(', ')}`] : []),
    ...(scope.tags ? [`tags ${scope.tags.join(', ')}`] : []),
    ...(scope.newUploads ? ['every new upload'] : []),
  ];
  return parts.join('; ');
}

/** The results as a reader wants them: arms side by side on the primary metric, then guardrails and SRM. */
export function formatResults(r: ExperimentResults): string {
  const control = r.arms.find((arm) => arm.control);
  const primaryOf = (arm: ExperimentResults['arms'][number]): ExperimentComparison | undefined =>
    arm.comparisons.find((c) => c.metric === r.primaryMetric);
  const lines = [
    `experiment ${r.experimentId} (${r.status}), ${r.synthetic} viewers, ${r.from ?? '-'} to ${r.to ?? '-'}`,
    `primary metric: ${r.primaryMetric}; always-valid p (safe to peek), α = ${r.alpha}`,
    table(
      [
        'ARM',
        'TRAFFIC',
        'VIEWERS',
        'VIEWS',
        r.primaryMetric,
        'LIFT',
        'ALWAYS-VALID INTERVAL',
        'P',
        'VERDICT',
      ],
      r.arms.map((arm) => {
        const c = primaryOf(arm);
        return [
          `${arm.name}${arm.control ? ' (control)' : ''}${arm.stopped === null ? '' : ' STOPPED'}`,
          `${arm.trafficPercent}%`,
          String(arm.viewers),
          String(arm.views),
          number(arm.metrics[r.primaryMetric] ?? null),
          c === undefined ? '-' : percent(c.relativeLift),
          c === undefined
            ? '-'
            : `[${percent(c.alwaysValid.lower, '-∞')}, ${percent(c.alwaysValid.upper, '+∞')}]`,
          c === undefined ? '-' : pValue(c.alwaysValid.pValue),
          c === undefined
            ? '-'
            : c.significant
              ? c.verdict
              : `inconclusive${c.noLookReason ? ` (${c.noLookReason})` : ''}`,
        ];
      }),
    ),
    `egress at $${r.egressUsdPerGb}/GB: ${r.arms.map((arm) => `${arm.name} $${arm.egressCostUsd.toFixed(2)} (${number(arm.bitsDelivered, 'bit')})`).join(', ')}`,
  ];
  const guardrails = r.arms.flatMap((arm) =>
    arm.guardrails.map((g) => [
      arm.name,
      g.metric,
      `${g.marginPercent}%`,
      g.status.toUpperCase(),
      `[${percent(g.harmLower, '-∞')}, ${percent(g.harmUpper, '+∞')}]`,
      g.reason,
    ]),
  );
  lines.push(
    guardrails.length === 0
      ? 'guardrails: none'
      : `guardrails (harm vs ${control?.name ?? 'control'}, positive = worse):\n${table(['ARM', 'METRIC', 'MARGIN', 'STATUS', 'HARM INTERVAL', 'WHY'], guardrails)}`,
  );
  for (const arm of r.arms)
    if (arm.stopped) lines.push(`arm ${arm.name} stopped ${arm.stopped.at}: ${arm.stopped.reason}`);
  const srm = r.sampleRatioMismatch;
  lines.push(
    srm === null
      ? 'sample ratio: no viewers yet'
      : `sample ratio${srm.flagged ? ' MISMATCH (p < 0.001: do not trust these results until the cause is found)' : ' ok'}: viewers ${srm.observedViewers.join(' / ')} against expected ${srm.expectedViewers.map((n) => n.toFixed(1)).join(' / ')}, χ² ${srm.chiSquare.toFixed(2)}, p ${pValue(srm.pValue)} (as of ${srm.asOf})`,
  );
  if (r.unknownArmViews > 0)
    lines.push(`${r.unknownArmViews} view(s) named an arm this experiment does not have`);
  if (r.armsStopped.length > 0)
    lines.push(`stopped by a breached guardrail just now: ${r.armsStopped.join(', ')}`);
  if (!r.guardrailsEnforced && r.status === 'running' && guardrails.length > 0)
    lines.push(
      'guardrails report only here: simulated viewers never stop an arm (arms stop on real viewers’ results)',
    );
  return lines.join('\n');
}

/** Four significant digits, with k, M, G, T from ten thousand up (bits per viewer-hour run to billions). */
function number(value: number | null, unit = ''): string {
  if (value === null) return '-';
  const magnitude = Math.abs(value);
  const [scale, prefix] =
    magnitude >= 1e12
      ? [1e12, 'T']
      : magnitude >= 1e9
        ? [1e9, 'G']
        : magnitude >= 1e6
          ? [1e6, 'M']
          : magnitude >= 1e4
            ? [1e3, 'k']
            : [1, ''];
  const suffix = `${prefix}${unit}`;
  return `${Number((value / scale).toPrecision(4))}${suffix === '' ? '' : ` ${suffix}`}`;
}

function percent(value: number | null, unbounded = '-'): string {
  if (value === null) return unbounded;
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
}

function pValue(value: number | null): string {
  if (value === null) return '-';
  return value < 0.0001 ? '<0.0001' : value.toFixed(4);
}

/** Columns padded to their widest cell, two spaces apart. */
