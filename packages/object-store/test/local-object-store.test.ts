import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalObjectStore } from '../src/local-object-store.js';
import { ObjectKeyConflictError, type ObjectStore, readAll } from '../src/object-store.js';
import { makeBytes, streamOf } from './builders.js';

describe('local folder object store', () => {
  let root: string;
  let store: ObjectStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'streamloop-local-'));
    store = await createLocalObjectStore({ root });
  });
  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps each object as a plain file at data/<key>, browsable by an operator', async () => {
    await store.put('videos/v1/hls/720p.m3u8', '#EXTM3U', { contentType: 'application/vnd.apple.mpegurl' });
    expect(await readdir(path.join(root, 'data', 'videos', 'v1', 'hls'))).toEqual(['720p.m3u8']);
    expect(store.adapter).toEqual({
      port: 'object-store',
      kind: 'embedded',
      service: 'local folder',
      target: root,
    });
  });

  it.each([
    ['an object below an existing object', 'a', 'a/b'],
    ['an object where a folder of objects exists', 'x/y', 'x'],
  ])('refuses %s with a conflict, leaving the existing one intact', async (_name, existing, conflicting) => {
    await store.put(existing, 'first');
    const error = await store.put(conflicting, 'second').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ObjectKeyConflictError);
    expect((error as ObjectKeyConflictError).code).toBe('ERR_CONFLICT');
    expect((await store.getBuffer(existing))?.toString()).toBe('first');
    expect(await store.head(conflicting)).toBeNull();
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('lets a reader that already opened an object finish it while an overwrite lands', async () => {
    const original = makeBytes(256 * 1024, 1);
    await store.put('segment.m4s', original);
    const reading = await store.get('segment.m4s');
    await store.put('segment.m4s', makeBytes(1000, 2));
    expect((await readAll(reading!.body)).equals(original)).toBe(true);
    expect((await store.head('segment.m4s'))?.size).toBe(1000);
  });

  it('leaves no temp file behind when a streamed write fails', async () => {
    await expect(
      store.put('upload.mp4', streamOf(makeBytes(1024 * 1024), { failAfterBytes: 512 * 1024 })),
    ).rejects.toThrow('client went away');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
    expect(await store.head('upload.mp4')).toBeNull();
  });

  it('removes folders emptied by deletes, in the data and the sidecar trees', async () => {
    await store.put('videos/v1/hls/seg-1.m4s', 'x');
    await store.put('videos/v2/source.mp4', 'y');
    expect(await store.deletePrefix('videos/v1/')).toBe(1);
    expect(await readdir(path.join(root, 'data', 'videos'))).toEqual(['v2']);
    expect(await readdir(path.join(root, 'meta', 'videos'))).toEqual(['v2']);
  });

  it('clears temp files a crashed process left behind, but not writes that may be in flight', async () => {
    const stale = path.join(root, 'tmp', 'stale');
    const recent = path.join(root, 'tmp', 'recent');
    await writeFile(stale, 'half an upload');
    await writeFile(recent, 'in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    const reopened = await createLocalObjectStore({ root });
    expect(await readdir(path.join(root, 'tmp'))).toEqual(['recent']);
    await reopened.close();
  });

  it('fails ping once its folder is gone', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await rm(root, { recursive: true, force: true });
    await expect(store.ping()).rejects.toThrow(/ENOENT/);
    await expect(stat(root)).rejects.toThrow();
  });
});
