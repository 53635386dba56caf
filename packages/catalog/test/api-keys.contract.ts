import { createHash } from 'node:crypto';
import { uniqueName } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  findApiKey,
  listApiKeys,
  parseApiKey,
  revokeApiKey,
} from '../src/api-key-repository.js';
import type { Catalog } from '../src/catalog.js';
import {
  finishMultipartUpload,
  getMultipartUpload,
  insertMultipartUpload,
} from '../src/multipart-repository.js';
import { deleteVideo, insertVideo, newVideoId } from '../src/video-repository.js';

/** API keys and multipart upload records; part of the catalog contract (both adapters). */
export function describeKeysAndUploads(getCatalog: () => Catalog): void {
  describe('api keys', () => {
    it('shows the secret once and stores only its sha256', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('keys');
      const { key, record } = await createApiKey(catalog, { owner, scopes: ['upload'], name: 'ci' });
      const parsed = parseApiKey(key);
      expect(parsed?.id).toBe(record.id);
      expect(record).toMatchObject({
        owner,
        scopes: ['upload'],
        name: 'ci',
        rateLimitPerMinute: 600,
        revokedAt: null,
      });
      const stored = await findApiKey(catalog, record.id);
      expect(stored?.secretSha256).toBe(createHash('sha256').update(parsed!.secret).digest('hex'));
      const rows = await catalog.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
        record.id,
      ]);
      expect(JSON.stringify(rows)).not.toContain(parsed!.secret);
    });

    it('lists an owner’s keys and revokes idempotently, keeping the first revocation time', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('keys');
      const a = await createApiKey(catalog, { owner, scopes: ['manage', 'upload'], rateLimitPerMinute: 5 });
      // Keys are listed by creation time (millisecond precision), ties by id: make b's creation time
      // later than a's, as a second key created by a person always is (PGlite can insert both in 1 ms).
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = await createApiKey(catalog, { owner, scopes: ['analytics-read'] });
      await createApiKey(catalog, { owner: uniqueName('other'), scopes: ['upload'] });
      expect((await listApiKeys(catalog, owner)).map((k) => k.id)).toEqual([a.record.id, b.record.id]);

      expect(await revokeApiKey(catalog, a.record.id)).toBe(true);
      const first = (await findApiKey(catalog, a.record.id))?.revokedAt;
      expect(first).toMatch(/^\d{4}-/);
      expect(await revokeApiKey(catalog, a.record.id)).toBe(true);
      expect((await findApiKey(catalog, a.record.id))?.revokedAt).toBe(first);
      expect(await revokeApiKey(catalog, 'no-such-key')).toBe(false);
    });

    it('refuses unknown scopes and parses only well-formed keys', async () => {
      const catalog = getCatalog();
      await expect(
        createApiKey(catalog, { owner: 'x', scopes: ['admin' as 'upload'] }),
      ).rejects.toMatchObject({ code: '23514' });
      for (const bad of [
        '',
        'sl_',
        'sl_0123456789abcdef_short',
        `sk_0123456789abcdef_${'a'.repeat(43)}`,
        'legacy-key-123456',
      ])
        expect(parseApiKey(bad)).toBeUndefined();
    });
  });

  describe('multipart uploads', () => {
    it('moves an upload out of open once and disappears with its video', async () => {
      const catalog = getCatalog();
      const video = await insertVideo(catalog, { id: newVideoId(), title: 'Direct', owner: 'o' });
      const uploadId = uniqueName('upload');
      await insertMultipartUpload(catalog, {
        uploadId,
        videoId: video.id,
        objectKey: `sources/${video.id}`,
        owner: 'o',
        sizeBytes: 12 * 1024 * 1024,
        partSizeBytes: 8 * 1024 * 1024,
        declaredSha256: null,
      });
      expect(await getMultipartUpload(catalog, uploadId)).toMatchObject({
        state: 'open',
        sizeBytes: 12 * 1024 * 1024,
      });
      expect(await finishMultipartUpload(catalog, uploadId, 'completed')).toBe(true);
      expect(await finishMultipartUpload(catalog, uploadId, 'aborted')).toBe(false);
      expect((await getMultipartUpload(catalog, uploadId))?.state).toBe('completed');
      await deleteVideo(catalog, video.id);
      expect(await getMultipartUpload(catalog, uploadId)).toBeUndefined();
    });
  });
}
