/**
 * The `machine` block of a bench report: what ran the bench, and the 1-min load before and after it
 * (the load says what else ran; read a report's ratios, not its absolute times).
 */
import { cpus, loadavg } from 'node:os';

export const load1 = (): number => loadavg()[0] ?? 0;

export function machine(load1Before: number) {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    load1: { before: load1Before, after: load1() },
  };
}
