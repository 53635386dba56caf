/**
 * Whether a process with this pid is running (signal 0 delivers nothing; EPERM means it exists but
 * belongs to someone else). For the owner files that keep two processes off one data directory.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
