/**
 * The alert check (analytics' cron, every minute, once per fleet through the job lock): each rule's
 * metric over its window from the QoE rollups (the QoE API's own overview query, real viewers only),
 * the state change it decides (alert-evaluation.ts) recorded with its event, then every event still
 * waiting for the webhook sent, oldest first.
 *
 * Nothing is lost between the two halves: an event is written as 'pending' in the transaction that
 * changes the state, so a run that dies before sending leaves it for the next run, which sends it
 * (at least once; receivers deduplicate by event id). A send that fails is retried by each following
 * run, up to MAX_DELIVERY_ATTEMPTS, then marked 'failed' with its reason; after a failed send the
 * run stops sending, so the events behind it keep their order and a dead receiver costs one timeout. Without a webhook configured
 * events are 'not-configured': shown in the dashboards, sent nowhere. One rule whose query fails is
 * logged and counted and does not stop the others.
 */
import {
  type AlertReading,
  listAlertRules,
  pendingAlertEvents,
  recordAlertCheck,
  recordAlertDelivery,
} from '@streamloop/catalog/alert-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { AlertEvent } from '@streamloop/core/schemas/alerts';
import type { AnalyticsTarget } from '../beacons-table.js';
import { getOverview } from '../qoe-queries.js';
import { alertReading, decideAlert } from './alert-evaluation.js';
import type { AlertWebhook } from './alert-webhook.js';

export const MAX_DELIVERY_ATTEMPTS = 5;

export interface AlertCheckDeps {
  analyticsStore: AnalyticsTarget;
  catalog: Catalog;
  /** Unset: events are kept and shown, not sent. */
  webhook: AlertWebhook | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => number;
}

export interface AlertCheckSummary {
  rules: number;
  /** Rules whose window could not be read (logged). */
  failed: number;
  /** Events written by this run. */
  events: AlertEvent[];
  delivered: number;
  deliveryFailures: number;
}

export async function runAlertChecks(deps: AlertCheckDeps): Promise<AlertCheckSummary> {
  const nowMs = (deps.now ?? Date.now)();
  const rules = await listAlertRules(deps.catalog);
  const summary: AlertCheckSummary = {
    rules: rules.length,
    failed: 0,
    events: [],
    delivered: 0,
    deliveryFailures: 0,
  };
  for (const rule of rules) {
    let reading: AlertReading;
    try {
      const metrics = await getOverview(deps.analyticsStore, {
        fromMs: nowMs - rule.windowMinutes * 60_000,
        toMs: nowMs,
        ...(rule.videoId === null ? {} : { videoId: rule.videoId }),
      });
      reading = alertReading(metrics, rule.metric);
    } catch (err) {
      summary.failed++;
      deps.logger.error({ ruleId: rule.id, reason: reasonOf(err) }, 'alert rule could not be checked');
      continue;
    }
    const decision = decideAlert(rule, reading, nowMs);
    const event = await recordAlertCheck(deps.catalog, {
      rule,
      reading,
      checkedAt: new Date(nowMs),
      ...(decision.change === null
        ? {}
        : {
            transition: {
              kind: decision.change,
              delivery: deps.webhook === undefined ? 'not-configured' : 'pending',
            },
          }),
    });
    if (event !== null) {
      summary.events.push(event);
      deps.logger.warn(
        {
          ruleId: rule.id,
          kind: event.kind,
          metric: rule.metric,
          value: event.value,
          threshold: rule.threshold,
        },
        `alert ${event.kind}: ${rule.name}`,
      );
    }
  }
  if (deps.webhook !== undefined) await deliverPending(deps.webhook, deps, summary);
  return summary;
}

async function deliverPending(
  webhook: AlertWebhook,
  deps: AlertCheckDeps,
  summary: AlertCheckSummary,
): Promise<void> {
  for (const event of await pendingAlertEvents(deps.catalog)) {
    const result = await webhook.send(event);
    if (result.sent) {
      summary.delivered++;
      await recordAlertDelivery(deps.catalog, event.id, { sent: true });
      continue;
    }
    summary.deliveryFailures++;
    const finalFailure = event.deliveryAttempts + 1 >= MAX_DELIVERY_ATTEMPTS;
    deps.logger.warn(
      { eventId: event.id, attempt: event.deliveryAttempts + 1, reason: result.error, finalFailure },
      finalFailure
        ? 'alert webhook delivery failed for good'
        : 'alert webhook delivery failed; retried next run',
    );
    await recordAlertDelivery(deps.catalog, event.id, { sent: false, error: result.error, finalFailure });
    // The receiver is down or refusing: the rest wait for the next run, in order, instead of each
    // waiting out its own timeout now.
    return;
  }
}
