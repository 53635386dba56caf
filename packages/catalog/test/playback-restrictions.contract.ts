import { uniqueName } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import {
  deletePlaybackRestrictions,
  getPlaybackRestrictions,
  putPlaybackRestrictions,
} from '../src/playback-restrictions-repository.js';

/** Per-owner playback restrictions; part of the catalog contract (both adapters). */
export function describePlaybackRestrictions(getCatalog: () => Catalog): void {
  describe('playback restrictions', () => {
    it('has none for an owner that stored none', async () => {
      expect(await getPlaybackRestrictions(getCatalog(), uniqueName('owner'))).toBeUndefined();
    });

    it('stores, replaces and lifts one owner’s restrictions without touching another’s', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('owner');
      const other = uniqueName('owner');
      await putPlaybackRestrictions(catalog, other, { allowedDomains: ['other.test'], allowNoOrigin: true });

      await putPlaybackRestrictions(catalog, owner, {
        allowedDomains: ['shop.example.com', '*.example.org'],
        allowNoOrigin: false,
      });
      expect(await getPlaybackRestrictions(catalog, owner)).toEqual({
        allowedDomains: ['shop.example.com', '*.example.org'],
        allowNoOrigin: false,
      });

      await putPlaybackRestrictions(catalog, owner, { allowedDomains: [], allowNoOrigin: true });
      expect(await getPlaybackRestrictions(catalog, owner)).toEqual({
        allowedDomains: [],
        allowNoOrigin: true,
      });

      expect(await deletePlaybackRestrictions(catalog, owner)).toBe(true);
      expect(await deletePlaybackRestrictions(catalog, owner)).toBe(false);
      expect(await getPlaybackRestrictions(catalog, owner)).toBeUndefined();
      expect(await getPlaybackRestrictions(catalog, other)).toEqual({
        allowedDomains: ['other.test'],
        allowNoOrigin: true,
      });
    });

    it('refuses restrictions the contract refuses and keeps the stored ones', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('owner');
      await putPlaybackRestrictions(catalog, owner, { allowedDomains: ['a.test'], allowNoOrigin: false });
      const err = await putPlaybackRestrictions(catalog, owner, {
        allowedDomains: ['https://a.test/page'],
        allowNoOrigin: false,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_VALIDATION', status: 400 });
      expect((err as Error).message).toContain('invalid playback restrictions: /allowedDomains/0');
      expect(await getPlaybackRestrictions(catalog, owner)).toEqual({
        allowedDomains: ['a.test'],
        allowNoOrigin: false,
      });
    });
  });
}
