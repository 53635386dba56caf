/**
 * QoE alerts (issue 15): threshold rules over the QoE rollups, evaluated every minute by analytics'
 * cron job, each a state machine `ok` ⇄ `firing` whose transitions are kept as events and sent to the
 * configured webhook (ALERT_WEBHOOK_URL, JSON signed with HMAC-SHA256 under ALERT_WEBHOOK_SECRET).
 *
 * A rule reads one metric of the QoE API over a sliding window (the last `windowMinutes`), for one
 * video or the whole fleet, real viewers only:
 * - it FIRES when the window has at least `minPlays` plays and the metric is above `threshold`, unless
 *   it fired less than `cooldownMinutes` ago (a flapping metric notifies once per cool-down);
 * - it RESOLVES when the window has at least `minPlays` plays and the metric is at or under the
 *   threshold. With fewer plays nothing changes: too few views to say either way.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { VIDEO_ID_PATTERN } from '../ids.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = Type.String({ format: 'date-time' });

/** The metrics a rule can watch, each the QoE API's field of the same meaning (docs/metrics.md). */
export const ALERT_METRICS = {
  videoStartFailurePercent: {
    label: 'Video start failure %',
    unit: '%',
    max: 100,
    describe: 'of the plays, a fatal error before the first frame (× 100)',
  },
  rebufferRatio: {
    label: 'Rebuffer ratio',
    unit: 'fraction',
    max: 1,
    describe: 'CTA-2066: stall time / (stall + play time), a fraction (0.02 = 2 %)',
  },
  startupTimeP95Ms: {
    label: 'Startup p95',
    unit: 'ms',
    max: 600_000,
    describe: 'play request → first frame, 95th percentile over the plays that started (ms)',
  },
} as const;
export type AlertMetric = keyof typeof ALERT_METRICS;
export const ALERT_METRIC_NAMES = Object.keys(ALERT_METRICS) as AlertMetric[];

export const AlertMetricSchema = Type.Union(
  ALERT_METRIC_NAMES.map((name) => Type.Literal(name)),
  { description: ALERT_METRIC_NAMES.join(', ') },
);

export const ALERT_RULE_ID_PATTERN = '^alr_[a-z0-9]{12}$';
/** Rules a fleet may hold: each is one QoE query a minute. */
export const MAX_ALERT_RULES = 200;

export const CreateAlertRuleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    metric: AlertMetricSchema,
    /** Absent or null: the whole fleet. */
    videoId: Type.Optional(Nullable(Type.String({ pattern: VIDEO_ID_PATTERN }))),
    /** In the metric's unit; the rule fires ABOVE it. At most the metric's `max`. */
    threshold: Type.Number({ minimum: 0 }),
    windowMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 1440, default: 15 })),
    minPlays: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 })),
    cooldownMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1440, default: 30 })),
  },
  { additionalProperties: false },
);
export type CreateAlertRuleBody = Static<typeof CreateAlertRuleBody>;

export const AlertState = Type.Union([Type.Literal('ok'), Type.Literal('firing')]);
export type AlertState = Static<typeof AlertState>;

export const AlertRule = Type.Object({
  id: Type.String({ pattern: ALERT_RULE_ID_PATTERN }),
  name: Type.String(),
  metric: AlertMetricSchema,
  videoId: Nullable(Type.String()),
  threshold: Type.Number(),
  windowMinutes: Type.Integer(),
  minPlays: Type.Integer(),
  cooldownMinutes: Type.Integer(),
  /** The owner of the key that created it. */
  createdBy: Type.String(),
  createdAt: Instant,
  state: AlertState,
  stateSince: Instant,
  /** The last check's reading; null before the first check or when the window had no value. */
  lastValue: Nullable(Type.Number()),
  lastPlays: Nullable(Type.Integer()),
  lastCheckedAt: Nullable(Instant),
  lastFiredAt: Nullable(Instant),
});
export type AlertRule = Static<typeof AlertRule>;

export const AlertRulesResponse = Type.Object({ rules: Type.Array(AlertRule) });
export type AlertRulesResponse = Static<typeof AlertRulesResponse>;

/** How the webhook took an event: not configured, waiting (a retry is due), sent, or given up. */
export const AlertDelivery = Type.Union([
  Type.Literal('not-configured'),
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('failed'),
]);
export type AlertDelivery = Static<typeof AlertDelivery>;

export const AlertEventKind = Type.Union([Type.Literal('firing'), Type.Literal('resolved')]);
export type AlertEventKind = Static<typeof AlertEventKind>;

export const AlertEvent = Type.Object({
  id: Type.String(),
  ruleId: Type.String(),
  ruleName: Type.String(),
  kind: AlertEventKind,
  metric: AlertMetricSchema,
  videoId: Nullable(Type.String()),
  threshold: Type.Number(),
  windowMinutes: Type.Integer(),
  /** The metric over the window when the state changed, and the plays it rests on. */
  value: Type.Number(),
  plays: Type.Integer(),
  at: Instant,
  delivery: AlertDelivery,
  deliveryAttempts: Type.Integer(),
  /** The last failed attempt's reason (status or network error); null when none failed. */
  deliveryError: Nullable(Type.String()),
});
export type AlertEvent = Static<typeof AlertEvent>;

export const AlertEventsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    ruleId: Type.Optional(Type.String({ pattern: ALERT_RULE_ID_PATTERN })),
  },
  { additionalProperties: false },
);
export type AlertEventsQuery = Static<typeof AlertEventsQuery>;

export const AlertEventsResponse = Type.Object({ events: Type.Array(AlertEvent) });
export type AlertEventsResponse = Static<typeof AlertEventsResponse>;

/** What the webhook receives (one POST per event; `id` is stable across retries, for deduplication). */
export interface AlertWebhookPayload {
  type: `alert.${AlertEventKind}`;
  id: string;
  at: string;
  rule: Pick<AlertRule, 'id' | 'name' | 'metric' | 'videoId' | 'threshold' | 'windowMinutes'>;
  value: number;
  plays: number;
}

/** The signature header's name; its value is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const ALERT_SIGNATURE_HEADER = 'x-streamloop-signature';
