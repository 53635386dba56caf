import { MAX_ALERT_RULES } from '@streamloop/core/schemas/alerts';
import { describe, expect, it } from 'vitest';
import {
  createAlertRule,
  deleteAlertRule,
  listAlertEvents,
  listAlertRules,
  pendingAlertEvents,
  recordAlertCheck,
  recordAlertDelivery,
} from '../src/alert-repository.js';
import type { Catalog } from '../src/catalog.js';

/** QoE alert rules and their events; part of the catalog contract (both adapters). */
export function describeAlerts(getCatalog: () => Catalog): void {
  describe('alert rules and events', () => {
    it('creates a rule in state ok with the defaults filled in, lists it and deletes it with its events', async () => {
      const catalog = getCatalog();
      const rule = await createAlertRule(
        catalog,
        { name: 'VSF fleet', metric: 'videoStartFailurePercent', threshold: 5 },
        'owner-a',
      );
      expect(rule).toMatchObject({
        name: 'VSF fleet',
        metric: 'videoStartFailurePercent',
        videoId: null,
        threshold: 5,
        windowMinutes: 15,
        minPlays: 20,
        cooldownMinutes: 30,
        createdBy: 'owner-a',
        state: 'ok',
        lastValue: null,
        lastCheckedAt: null,
        lastFiredAt: null,
      });
      expect(rule.id).toMatch(/^alr_[a-z0-9]{12}$/);
      expect((await listAlertRules(catalog)).map((r) => r.id)).toContain(rule.id);

      const fired = await recordAlertCheck(catalog, {
        rule,
        reading: { value: 7.5, plays: 40 },
        checkedAt: new Date('2026-12-07T10:00:00Z'),
        transition: { kind: 'firing', delivery: 'pending' },
      });
      expect(fired).not.toBeNull();
      expect(await deleteAlertRule(catalog, rule.id)).toBe(true);
      expect(await deleteAlertRule(catalog, rule.id)).toBe(false);
      expect(await listAlertEvents(catalog, { limit: 10, ruleId: rule.id })).toEqual([]);
    });

    it('refuses a threshold outside the metric’s range', async () => {
      await expect(
        createAlertRule(getCatalog(), { name: 'x', metric: 'rebufferRatio', threshold: 2 }, 'owner-a'),
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION', message: expect.stringContaining('0 to 1') });
    });

    it('records a check, a state change with its event, and never changes a state twice', async () => {
      const catalog = getCatalog();
      const rule = await createAlertRule(
        catalog,
        {
          name: 'rebuffer v1',
          metric: 'rebufferRatio',
          videoId: 'video-alerts-1',
          threshold: 0.02,
          windowMinutes: 10,
        },
        'owner-a',
      );
      const at = new Date('2026-12-07T10:00:00Z');
      expect(
        await recordAlertCheck(catalog, { rule, reading: { value: 0.01, plays: 30 }, checkedAt: at }),
      ).toBeNull();
      let [stored] = (await listAlertRules(catalog)).filter((r) => r.id === rule.id);
      expect(stored).toMatchObject({
        state: 'ok',
        lastValue: 0.01,
        lastPlays: 30,
        lastCheckedAt: at.toISOString(),
      });

      const later = new Date('2026-12-07T10:01:00Z');
      const event = await recordAlertCheck(catalog, {
        rule: stored!,
        reading: { value: 0.05, plays: 31 },
        checkedAt: later,
        transition: { kind: 'firing', delivery: 'pending' },
      });
      expect(event).toMatchObject({
        ruleId: rule.id,
        ruleName: 'rebuffer v1',
        kind: 'firing',
        metric: 'rebufferRatio',
        videoId: 'video-alerts-1',
        threshold: 0.02,
        windowMinutes: 10,
        value: 0.05,
        plays: 31,
        at: later.toISOString(),
        delivery: 'pending',
        deliveryAttempts: 0,
        deliveryError: null,
      });
      [stored] = (await listAlertRules(catalog)).filter((r) => r.id === rule.id);
      expect(stored).toMatchObject({
        state: 'firing',
        stateSince: later.toISOString(),
        lastFiredAt: later.toISOString(),
      });

      // A second runner that saw the rule as ok (the stale copy) cannot fire it again.
      const again = await recordAlertCheck(catalog, {
        rule,
        reading: { value: 0.06, plays: 31 },
        checkedAt: later,
        transition: { kind: 'firing', delivery: 'pending' },
      });
      expect(again).toBeNull();
      expect(await listAlertEvents(catalog, { limit: 10, ruleId: rule.id })).toHaveLength(1);
      await deleteAlertRule(catalog, rule.id);
    });

    it('tracks deliveries: pending until sent, retried, then failed for good', async () => {
      const catalog = getCatalog();
      const rule = await createAlertRule(
        catalog,
        { name: 'startup', metric: 'startupTimeP95Ms', threshold: 3000 },
        'o',
      );
      const event = (await recordAlertCheck(catalog, {
        rule,
        reading: { value: 4200, plays: 25 },
        checkedAt: new Date('2026-12-07T11:00:00Z'),
        transition: { kind: 'firing', delivery: 'pending' },
      }))!;
      expect((await pendingAlertEvents(catalog)).map((e) => e.id)).toContain(event.id);
      await recordAlertDelivery(catalog, event.id, {
        sent: false,
        error: 'the webhook answered 500',
        finalFailure: false,
      });
      let [stored] = await listAlertEvents(catalog, { limit: 1, ruleId: rule.id });
      expect(stored).toMatchObject({
        delivery: 'pending',
        deliveryAttempts: 1,
        deliveryError: 'the webhook answered 500',
      });
      await recordAlertDelivery(catalog, event.id, { sent: false, error: 'no answer', finalFailure: true });
      [stored] = await listAlertEvents(catalog, { limit: 1, ruleId: rule.id });
      expect(stored).toMatchObject({ delivery: 'failed', deliveryAttempts: 2, deliveryError: 'no answer' });
      expect((await pendingAlertEvents(catalog)).map((e) => e.id)).not.toContain(event.id);
      await deleteAlertRule(catalog, rule.id);
    });

    it(`holds at most ${MAX_ALERT_RULES} rules`, async () => {
      const catalog = getCatalog();
      const before = (await listAlertRules(catalog)).length;
      const created: string[] = [];
      for (let i = before; i < MAX_ALERT_RULES; i++) {
        created.push(
          (await createAlertRule(catalog, { name: `r${i}`, metric: 'rebufferRatio', threshold: 0.1 }, 'o'))
            .id,
        );
      }
      await expect(
        createAlertRule(catalog, { name: 'one too many', metric: 'rebufferRatio', threshold: 0.1 }, 'o'),
      ).rejects.toMatchObject({ code: 'ERR_CONFLICT', message: expect.stringContaining('delete one first') });
      for (const id of created) await deleteAlertRule(catalog, id);
    });
  });
}
