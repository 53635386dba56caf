/**
 * Alert events to the configured webhook (ALERT_WEBHOOK_URL): one POST per event, JSON
 * (core's AlertWebhookPayload), signed the way Stripe and GitHub sign theirs so a receiver can check
 * it came from this fleet and is fresh:
 *
 *   x-streamloop-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET, "<t>.<body>")>
 *
 * A receiver recomputes the HMAC over the exact body bytes, compares in constant time and rejects an
 * old `t` (replay). `x-streamloop-event-id` repeats the event id: deliveries are at least once (a
 * retry after a timeout may repeat one), so receivers deduplicate by it. Any 2xx is success; anything
 * else, a network error or no answer within the timeout is a failed attempt, with its reason.
 */
import { createHmac } from 'node:crypto';
import {
  ALERT_SIGNATURE_HEADER,
  type AlertEvent,
  type AlertWebhookPayload,
} from '@streamloop/core/schemas/alerts';

export interface AlertWebhookOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  now?: () => number;
}

export type AlertSendResult = { sent: true } | { sent: false; error: string };

export interface AlertWebhook {
  send(event: AlertEvent): Promise<AlertSendResult>;
}

export const ALERT_WEBHOOK_TIMEOUT_MS = 5_000;

export function alertPayload(event: AlertEvent): AlertWebhookPayload {
  return {
    type: `alert.${event.kind}`,
    id: event.id,
    at: event.at,
    rule: {
      id: event.ruleId,
      name: event.ruleName,
      metric: event.metric,
      videoId: event.videoId,
      threshold: event.threshold,
      windowMinutes: event.windowMinutes,
    },
    value: event.value,
    plays: event.plays,
  };
}

export function createAlertWebhook(options: AlertWebhookOptions): AlertWebhook {
  const timeoutMs = options.timeoutMs ?? ALERT_WEBHOOK_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  return {
    async send(event) {
      const body = JSON.stringify(alertPayload(event));
      const t = Math.floor(now() / 1000);
      const signature = createHmac('sha256', options.secret).update(`${t}.${body}`).digest('hex');
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'streamloop-alerts',
            'x-streamloop-event-id': event.id,
            [ALERT_SIGNATURE_HEADER]: `t=${t},v1=${signature}`,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The body is not read: a receiver's answer is its status.
        await res.body?.cancel();
        return res.ok ? { sent: true } : { sent: false, error: `the webhook answered ${res.status}` };
      } catch (err) {
        const reason =
          err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : err instanceof Error
              ? ((err.cause as Error | undefined)?.message ?? err.message)
              : String(err);
        return { sent: false, error: `the webhook could not be reached: ${reason}` };
      }
    },
  };
}
