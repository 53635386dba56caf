/**
 * Wall time, CPU seconds and peak memory of a command and everything it spawns: GNU time reports
 * the waited-for process tree's rusage (CPU summed, max RSS of the largest process).
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './bench-clips.js';

export interface ProcessCost {
  wallSec: number;
  cpuSec: number;
  peakRssMb: number;
}

export async function measure(command: string, args: string[]): Promise<ProcessCost> {
  const report = path.join(tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  const started = performance.now();
  await run('/usr/bin/time', ['-f', '%U %S %M', '-o', report, command, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallSec = (performance.now() - started) / 1000;
  const [user, system, maxRssKb] = (await readFile(report, 'utf8')).trim().split(/\s+/).slice(-3).map(Number);
  await rm(report, { force: true });
  return { wallSec, cpuSec: (user ?? 0) + (system ?? 0), peakRssMb: (maxRssKb ?? 0) / 1024 };
}

/** Costs of commands run one after another: times add up, memory is the largest. */
export function sequence(costs: ProcessCost[]): ProcessCost {
  return {
    wallSec: costs.reduce((s, c) => s + c.wallSec, 0),
    cpuSec: costs.reduce((s, c) => s + c.cpuSec, 0),
    peakRssMb: Math.max(...costs.map((c) => c.peakRssMb)),
  };
}
