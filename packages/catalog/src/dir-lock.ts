import { open, readFile, unlink } from 'node:fs/promises';
import { isProcessAlive } from '@streamloop/core/process-alive';

/**
 * An exclusive pid lock file beside an embedded database directory. PGlite has no lock of its own,
 * and two processes writing one data directory corrupt it, so the second one is refused with a fix.
 * A lock left by a dead process is taken over.
 */
export async function acquireDirLock(dir: string): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        if ((await readFile(lockPath, 'utf8').catch(() => '')) === String(process.pid)) {
          await unlink(lockPath).catch(() => undefined);
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) {
        throw new Error(
          `${dir} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}; the embedded catalog serves one process — set DATABASE_URL to share a catalog between processes`,
        );
      }
      await unlink(lockPath).catch(() => undefined);
    }
  }
}
