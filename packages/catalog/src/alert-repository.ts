/**
 * QoE alert rules and their events (migration 017, core's schemas/alerts.ts). Ingest-independent:
 * analytics' routes create and delete rules, its cron job records each check (`recordAlertCheck`:
 * the reading, and a state change with its event in one transaction) and the webhook's delivery.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import {
  ALERT_METRICS,
  type AlertDelivery,
  type AlertEvent,
  type AlertEventKind,
  type AlertRule,
  type CreateAlertRuleBody,
  MAX_ALERT_RULES,
} from '@streamloop/core/schemas/alerts';
import type { Catalog, Queryable } from './catalog.js';

type Time = Date | string;

interface RuleRow {
  id: string;
  name: string;
  metric: AlertRule['metric'];
  video_id: string | null;
  threshold: number;
  window_minutes: number;
  min_plays: number;
  cooldown_minutes: number;
  created_by: string;
  created_at: Time;
  state: AlertRule['state'];
  state_since: Time;
  last_value: number | null;
  last_plays: number | null;
  last_checked_at: Time | null;
  last_fired_at: Time | null;
}

interface EventRow {
  id: string;
  rule_id: string;
  kind: AlertEventKind;
  rule_name: string;
  metric: AlertEvent['metric'];
  video_id: string | null;
  threshold: number;
  window_minutes: number;
  value: number;
  plays: number;
  at: Time;
  delivery: AlertDelivery;
  delivery_attempts: number;
  delivery_error: string | null;
}

const iso = (value: Time): string => new Date(value).toISOString();
const isoOrNull = (value: Time | null): string | null => (value === null ? null : iso(value));

function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    metric: row.metric,
    videoId: row.video_id,
    threshold: Number(row.threshold),
    windowMinutes: row.window_minutes,
    minPlays: row.min_plays,
    cooldownMinutes: row.cooldown_minutes,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    state: row.state,
    stateSince: iso(row.state_since),
    lastValue: row.last_value === null ? null : Number(row.last_value),
    lastPlays: row.last_plays,
    lastCheckedAt: isoOrNull(row.last_checked_at),
    lastFiredAt: isoOrNull(row.last_fired_at),
  };
}

function toEvent(row: EventRow): AlertEvent {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    kind: row.kind,
    metric: row.metric,
    videoId: row.video_id,
    threshold: Number(row.threshold),
    windowMinutes: row.window_minutes,
    value: Number(row.value),
    plays: row.plays,
    at: iso(row.at),
    delivery: row.delivery,
    deliveryAttempts: row.delivery_attempts,
    deliveryError: row.delivery_error,
  };
}

const newId = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** The defaults a rule gets for what its body leaves out (core's CreateAlertRuleBody). */
export const ALERT_RULE_DEFAULTS = { windowMinutes: 15, minPlays: 20, cooldownMinutes: 30 } as const;

/**
 * A new rule in state `ok`. Refuses (ERR_VALIDATION) a threshold above the metric's range and
 * (ERR_CONFLICT) a fleet already holding MAX_ALERT_RULES rules.
 */
export async function createAlertRule(
  catalog: Catalog,
  body: CreateAlertRuleBody,
  createdBy: string,
): Promise<AlertRule> {
  const { max, unit } = ALERT_METRICS[body.metric];
  if (body.threshold > max) {
    throw new AppError(
      'ERR_VALIDATION',
      `threshold ${body.threshold} is out of range for ${body.metric} (0 to ${max}, in ${unit})`,
    );
  }
  return catalog.transaction(async (tx) => {
    // Counted inside the transaction, under a lock, so two creators cannot both pass the cap.
    await tx.query('LOCK TABLE alert_rules IN SHARE ROW EXCLUSIVE MODE');
    const [{ count }] = (await tx.query<{ count: string | number }>(
      'SELECT count(*) AS count FROM alert_rules',
    )) as [{ count: string | number }];
    if (Number(count) >= MAX_ALERT_RULES) {
      throw new AppError(
        'ERR_CONFLICT',
        `the fleet already has ${MAX_ALERT_RULES} alert rules, the most it may hold; delete one first`,
      );
    }
    const rows = await tx.query<RuleRow>(
      `INSERT INTO alert_rules (id, name, metric, video_id, threshold, window_minutes, min_plays,
         cooldown_minutes, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        newId('alr'),
        body.name,
        body.metric,
        body.videoId ?? null,
        body.threshold,
        body.windowMinutes ?? ALERT_RULE_DEFAULTS.windowMinutes,
        body.minPlays ?? ALERT_RULE_DEFAULTS.minPlays,
        body.cooldownMinutes ?? ALERT_RULE_DEFAULTS.cooldownMinutes,
        createdBy,
      ],
    );
    return toRule(rows[0]!);
  });
}

/** Every rule, oldest first. */
export async function listAlertRules(db: Queryable): Promise<AlertRule[]> {
  const rows = await db.query<RuleRow>('SELECT * FROM alert_rules ORDER BY created_at, id');
  return rows.map(toRule);
}

/** Deletes a rule and its events; false when there was no such rule. */
export async function deleteAlertRule(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM alert_rules WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

export interface AlertReading {
  /** The metric over the window; null when the window has no value (no plays, or none started). */
  value: number | null;
  plays: number;
}

export interface AlertCheck {
  rule: AlertRule;
  reading: AlertReading;
  checkedAt: Date;
  /** The state change this check decided, with how its event will be delivered; absent: none. */
  transition?: { kind: AlertEventKind; delivery: Extract<AlertDelivery, 'not-configured' | 'pending'> };
}

/**
 * Records one check: the rule's last reading, and when `transition` is given, its new state and the
 * event, in one transaction. The state changes only from the state the check saw (`rule.state`): a
 * second runner that checked the same rule at the same time changes nothing and gets null.
 */
export async function recordAlertCheck(catalog: Catalog, check: AlertCheck): Promise<AlertEvent | null> {
  const { rule, reading, checkedAt, transition } = check;
  if (transition !== undefined && reading.value === null) {
    throw new Error(`alert rule ${rule.id}: a state change needs a reading (the window had no value)`);
  }
  return catalog.transaction(async (tx) => {
    if (transition === undefined) {
      await tx.query(
        'UPDATE alert_rules SET last_value = $2, last_plays = $3, last_checked_at = $4 WHERE id = $1',
        [rule.id, reading.value, reading.plays, checkedAt],
      );
      return null;
    }
    const newState = transition.kind === 'firing' ? 'firing' : 'ok';
    const updated = await tx.query(
      `UPDATE alert_rules SET last_value = $2, last_plays = $3, last_checked_at = $4, state = $5,
         state_since = $4, last_fired_at = CASE WHEN $5 = 'firing' THEN $4 ELSE last_fired_at END
       WHERE id = $1 AND state = $6 RETURNING id`,
      [rule.id, reading.value, reading.plays, checkedAt, newState, rule.state],
    );
    if (updated.length === 0) return null;
    const rows = await tx.query<EventRow>(
      `INSERT INTO alert_events (id, rule_id, kind, rule_name, metric, video_id, threshold,
         window_minutes, value, plays, at, delivery)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
        newId('ale'),
        rule.id,
        transition.kind,
        rule.name,
        rule.metric,
        rule.videoId,
        rule.threshold,
        rule.windowMinutes,
        reading.value,
        reading.plays,
        checkedAt,
        transition.delivery,
      ],
    );
    return toEvent(rows[0]!);
  });
}

/** Events newest first, of one rule or all. */
export async function listAlertEvents(
  db: Queryable,
  options: { limit: number; ruleId?: string },
): Promise<AlertEvent[]> {
  const rows =
    options.ruleId === undefined
      ? await db.query<EventRow>('SELECT * FROM alert_events ORDER BY at DESC, id DESC LIMIT $1', [
          options.limit,
        ])
      : await db.query<EventRow>(
          'SELECT * FROM alert_events WHERE rule_id = $2 ORDER BY at DESC, id DESC LIMIT $1',
          [options.limit, options.ruleId],
        );
  return rows.map(toEvent);
}

/** Events still waiting for the webhook, oldest first (so a receiver sees them in order). */
export async function pendingAlertEvents(db: Queryable, limit = 100): Promise<AlertEvent[]> {
  const rows = await db.query<EventRow>(
    "SELECT * FROM alert_events WHERE delivery = 'pending' ORDER BY at, id LIMIT $1",
    [limit],
  );
  return rows.map(toEvent);
}

/**
 * One delivery attempt's outcome: 'sent', or a failure that stays 'pending' (retried by the next run)
 * until `finalFailure` makes it 'failed'.
 */
export async function recordAlertDelivery(
  db: Queryable,
  id: string,
  outcome: { sent: true } | { sent: false; error: string; finalFailure: boolean },
): Promise<void> {
  if (outcome.sent) {
    await db.query(
      "UPDATE alert_events SET delivery = 'sent', delivery_attempts = delivery_attempts + 1 WHERE id = $1",
      [id],
    );
    return;
  }
  await db.query(
    `UPDATE alert_events SET delivery = $2, delivery_attempts = delivery_attempts + 1, delivery_error = $3
     WHERE id = $1`,
    [id, outcome.finalFailure ? 'failed' : 'pending', outcome.error.slice(0, 500)],
  );
}
