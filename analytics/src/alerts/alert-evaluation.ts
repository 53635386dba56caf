/**
 * When an alert rule changes state (pure): the reading of its metric over the window, and the rule's
 * state machine (core's schemas/alerts.ts):
 *
 *   ok      → firing    plays ≥ minPlays and value > threshold, and the last firing is at least
 *                       cooldownMinutes ago (or there was none)
 *   firing  → ok        plays ≥ minPlays and value ≤ threshold ('resolved')
 *
 * Anything else keeps the state: a window with fewer than minPlays plays (or no value) says nothing
 * either way, so a quiet night neither fires nor resolves a rule. A breach inside the cool-down stays
 * `ok` and is reported as `coolingDown`, so the page can say why a red number did not alert.
 */
import type { AlertReading } from '@streamloop/catalog/alert-repository';
import type { AlertEventKind, AlertMetric, AlertRule } from '@streamloop/core/schemas/alerts';
import type { QoeMetrics } from '@streamloop/core/schemas/qoe-api';

/** The rule's metric read off the QoE API's metrics for its window. */
export function alertReading(metrics: QoeMetrics, metric: AlertMetric): AlertReading {
  const value =
    metric === 'videoStartFailurePercent'
      ? metrics.videoStartFailurePercent
      : metric === 'rebufferRatio'
        ? metrics.rebufferRatio
        : metrics.startupTimeMs.p95;
  return { value, plays: metrics.plays };
}

export type AlertDecision =
  | { change: AlertEventKind }
  | { change: null; why: 'too-few-plays' | 'unchanged' | 'cooling-down' };

export function decideAlert(
  rule: Pick<AlertRule, 'state' | 'threshold' | 'minPlays' | 'cooldownMinutes' | 'lastFiredAt'>,
  reading: AlertReading,
  nowMs: number,
): AlertDecision {
  if (reading.value === null || reading.plays < rule.minPlays) return { change: null, why: 'too-few-plays' };
  const breached = reading.value > rule.threshold;
  if (rule.state === 'firing') return breached ? { change: null, why: 'unchanged' } : { change: 'resolved' };
  if (!breached) return { change: null, why: 'unchanged' };
  const sinceFiredMs =
    rule.lastFiredAt === null ? Number.POSITIVE_INFINITY : nowMs - Date.parse(rule.lastFiredAt);
  return sinceFiredMs < rule.cooldownMinutes * 60_000
    ? { change: null, why: 'cooling-down' }
    : { change: 'firing' };
}
