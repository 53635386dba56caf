import { DEFAULT_LADDER, type LadderDefinition } from '@streamloop/core/ladders';
import { uniqueName } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import {
  createLadderVersion,
  getLadder,
  listLadders,
  listLadderVersions,
  requireLadder,
  seedLadders,
} from '../src/ladder-repository.js';

const rung = (height: number, kbps: number) => ({
  height,
  codec: 'h264' as const,
  profile: 'high',
  videoBitrateKbps: kbps,
  maxrateKbps: kbps,
  bufsizeKbps: kbps * 2,
});

const definition = (id: string, overrides: Partial<LadderDefinition> = {}): LadderDefinition => ({
  id,
  rungs: [rung(360, 700), rung(720, 2500)],
  audioBitrateKbps: 128,
  presets: { h264: 'fast', hevc: 'medium', av1: '8' },
  ...overrides,
});

/** Ladder ids are lowercase with dashes. */
const newLadderId = (): string => uniqueName('lad').toLowerCase().replaceAll('_', '-');

/** Named, versioned ladders; part of the catalog contract (both adapters). */
export function describeLadders(getCatalog: () => Catalog): void {
  describe('ladders', () => {
    it('numbers versions from 1, keeps every one, and answers the newest by default', async () => {
      const catalog = getCatalog();
      const id = newLadderId();
      const first = await createLadderVersion(catalog, definition(id, { description: 'two rungs' }), 'key-a');
      expect(first.created).toBe(true);
      expect(first.ladder).toMatchObject({ id, version: 1, description: 'two rungs', createdBy: 'key-a' });
      expect(first.ladder.rungs).toEqual([rung(360, 700), rung(720, 2500)]);

      const wider = definition(id, { rungs: [rung(240, 300), rung(360, 700), rung(720, 2500)] });
      const second = await createLadderVersion(catalog, wider, 'key-b');
      expect([second.created, second.ladder.version, second.ladder.rungs.length]).toEqual([true, 2, 3]);

      expect((await getLadder(catalog, id))?.version).toBe(2);
      expect((await getLadder(catalog, id, 1))?.rungs).toHaveLength(2);
      expect((await listLadderVersions(catalog, id)).map((l) => l.version)).toEqual([1, 2]);
      const listed = (await listLadders(catalog)).find((l) => l.id === id);
      expect([listed?.version, listed?.versions]).toEqual([2, 2]);
    });

    it('returns the newest version again for a repeated definition instead of minting one', async () => {
      const catalog = getCatalog();
      const id = newLadderId();
      await createLadderVersion(catalog, definition(id), 'key-a');
      // Same definition with its fields in another order: the same ladder.
      const { presets, audioBitrateKbps, rungs } = definition(id);
      const again = await createLadderVersion(catalog, { presets, rungs, audioBitrateKbps, id }, 'key-b');
      expect([again.created, again.ladder.version, again.ladder.createdBy]).toEqual([false, 1, 'key-a']);
      expect(await listLadderVersions(catalog, id)).toHaveLength(1);
    });

    it('gives two writers racing on one id two different versions', async () => {
      const catalog = getCatalog();
      const id = newLadderId();
      const [a, b] = await Promise.all([
        createLadderVersion(catalog, definition(id, { audioBitrateKbps: 96 }), 'key-a'),
        createLadderVersion(catalog, definition(id, { audioBitrateKbps: 160 }), 'key-b'),
      ]);
      expect([a.ladder.version, b.ladder.version].sort()).toEqual([1, 2]);
    });

    it('refuses a bad definition with every reason and stores nothing', async () => {
      const catalog = getCatalog();
      const id = newLadderId();
      const bad = {
        ...definition(id),
        rungs: [
          { ...rung(360, 700), codec: 'av1', profile: 'high' },
          { ...rung(720, 2500), maxrateKbps: 2000 },
          rung(720, 2500),
        ],
        presets: { h264: 'turbo', hevc: 'medium', av1: '14' },
      };
      const err = await createLadderVersion(catalog, bad, 'key-a').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_VALIDATION', status: 400 });
      const message = (err as Error).message;
      expect(message).toContain("/rungs/0/profile: av1 takes profile main, not 'high'");
      expect(message).toContain('/rungs/1/maxrateKbps: must be at least videoBitrateKbps');
      expect(message).toContain('/rungs/2: repeats another rung (h264 720p at 2500 kbps)');
      expect(message).toContain('/presets/h264: must be one of ultrafast');
      expect(message).toContain('/presets/av1: must be an SVT-AV1 preset from 0 to 13');

      const unknownField = await createLadderVersion(
        catalog,
        { ...definition(id), rungz: [] },
        'key-a',
      ).catch((e: unknown) => e);
      expect(unknownField).toMatchObject({ code: 'ERR_VALIDATION' });
      expect(await getLadder(catalog, id)).toBeUndefined();
      await expect(requireLadder(catalog, id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', status: 404 });
    });

    it('derives a ladder from the newest version of an encoded one, keeping the rungs its filter passes', async () => {
      const catalog = getCatalog();
      const source = newLadderId();
      await createLadderVersion(
        catalog,
        definition(source, { rungs: [rung(240, 300), rung(360, 700), rung(720, 2500)] }),
        'key-a',
      );
      const id = newLadderId();
      const derived = await createLadderVersion(
        catalog,
        { id, derivedFrom: { ladderId: source }, filter: { minHeight: 300 }, description: 'no 240p' },
        'key-a',
      );
      expect(derived.ladder).toMatchObject({
        id,
        version: 1,
        derivedFrom: { ladderId: source, version: 1 },
        filter: { minHeight: 300 },
        audioBitrateKbps: 128,
      });
      expect(derived.ladder.rungs.map((r) => r.height)).toEqual([360, 720]);
      // The same definition again mints nothing.
      const again = await createLadderVersion(
        catalog,
        { id, derivedFrom: { ladderId: source }, filter: { minHeight: 300 }, description: 'no 240p' },
        'key-b',
      );
      expect([again.created, again.ladder.version]).toEqual([false, 1]);
    });

    it('refuses a derived ladder with a missing or derived source, an empty result, or a change of kind', async () => {
      const catalog = getCatalog();
      const source = newLadderId();
      await createLadderVersion(catalog, definition(source), 'key-a');
      const derivedId = newLadderId();
      await createLadderVersion(
        catalog,
        { id: derivedId, derivedFrom: { ladderId: source }, filter: { maxHeight: 360 } },
        'key-a',
      );
      const refusal = (value: unknown): Promise<Error & { code?: string }> =>
        createLadderVersion(catalog, value, 'key-a').then(
          () => new Error('accepted'),
          (e: unknown) => e as Error,
        );

      const missing = await refusal({
        id: newLadderId(),
        derivedFrom: { ladderId: 'no-such-ladder' },
        filter: { maxHeight: 720 },
      });
      expect([(missing as { code?: string }).code, missing.message]).toEqual([
        'ERR_VALIDATION',
        "invalid derived ladder: /derivedFrom: no ladder 'no-such-ladder'",
      ]);
      const chained = await refusal({
        id: newLadderId(),
        derivedFrom: { ladderId: derivedId },
        filter: { maxHeight: 720 },
      });
      expect(chained.message).toBe(
        `invalid derived ladder: /derivedFrom: '${derivedId}' is itself derived; derive from '${source}'`,
      );
      const empty = await refusal({
        id: newLadderId(),
        derivedFrom: { ladderId: source },
        filter: { heights: [1080] },
      });
      expect(empty.message).toBe(`invalid derived ladder: /filter: keeps none of ${source}@1's rungs`);
      const noFilter = await refusal({ id: newLadderId(), derivedFrom: { ladderId: source }, filter: {} });
      expect(noFilter.message).toContain('invalid derived ladder: /filter');
      const kind = await refusal(definition(derivedId));
      expect([(kind as { code?: string }).code, kind.message]).toEqual([
        'ERR_CONFLICT',
        `ladder '${derivedId}' is derived; its versions stay derived (use another id)`,
      ]);
    });

    it('seeds the default ladder at its own version once, and never overwrites a stored version', async () => {
      const catalog = getCatalog();
      await seedLadders(catalog, [DEFAULT_LADDER]);
      await seedLadders(catalog, [{ ...DEFAULT_LADDER, audioBitrateKbps: 64 }]);
      const stored = await requireLadder(catalog, 'default', DEFAULT_LADDER.version);
      expect(stored).toMatchObject({ createdBy: 'streamloop', audioBitrateKbps: 96 });
      expect(stored.rungs).toEqual(DEFAULT_LADDER.rungs);
    });
  });
}
