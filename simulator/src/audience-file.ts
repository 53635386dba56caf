/**
 * Reads an audience file (JSON or YAML) and the trace files it names, and turns every problem into
 * one line `<file>: <field or line>: <what was wrong>` before anything is sent anywhere. The
 * playback model checks the audience itself (`parseAudience`, JSON pointers); this file adds what
 * only the simulator cares about: names that end up on beacons, and files on disk.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Audience,
  AudienceError,
  parseAudience,
  type SessionPlan,
} from '@streamloop/playback-model/audience';
import {
  type NetworkTrace,
  parseCsvTrace,
  parseSabreTrace,
  TraceParseError,
} from '@streamloop/playback-model/trace';
import { parseDocument } from 'yaml';

/** One bad input, printed as its message (`file: where: reason`); the CLI exits 2. */
export class InputFileError extends Error {
  readonly code = 'ERR_INPUT_INVALID';
  constructor(
    readonly file: string,
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${file}: ${where}: ${reason}`);
    this.name = 'InputFileError';
  }
}

export interface LoadedAudience {
  /** As given on the command line. */
  file: string;
  audience: Audience;
  /** Parsed traces by the name the audience uses (a path relative to the audience file). */
  traces: Record<string, NetworkTrace>;
}

// The beacon schema's rule for cohort and networkClass: every cohort name is written on beacons.
const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
// CSV traces carry no latency; Sabre's own CSV-derived traces assume about this much.
const CSV_LATENCY_MS = 40;

export async function loadAudienceFile(file: string): Promise<LoadedAudience> {
  const text = await readText(file, file, '/');
  const value = parseText(file, text);
  let audience: Audience;
  try {
    audience = parseAudience(value);
  } catch (error) {
    if (error instanceof AudienceError) throw new InputFileError(file, error.field || '/', error.reason);
    throw error;
  }
  audience.cohorts.forEach((cohort, c) => {
    if (!LABEL.test(cohort.name)) {
      throw new InputFileError(
        file,
        `/cohorts/${c}/name`,
        `"${cohort.name}" must be 1-64 of A-Z a-z 0-9 _ . : - (it is written on every beacon as cohort)`,
      );
    }
  });
  const traces: Record<string, NetworkTrace> = {};
  const dir = path.dirname(file);
  for (const [c, cohort] of audience.cohorts.entries()) {
    for (const [t, name] of (cohort.network.traces ?? []).entries()) {
      if (traces[name]) continue;
      const tracePath = path.resolve(dir, name);
      const text = await readText(tracePath, file, `/cohorts/${c}/network/traces/${t}`);
      traces[name] = parseTrace(path.relative(process.cwd(), tracePath) || tracePath, text);
    }
  }
  return { file, audience, traces };
}

/** One trace file: Sabre JSON when it starts like JSON, else `seconds,kbps` CSV. */
export async function loadTraceFile(file: string, displayName = file): Promise<NetworkTrace> {
  return parseTrace(displayName, await readText(file, displayName, 'file'));
}

/** The beacon `networkClass` of a plan: the class id, or `trace:<file name without extension>`. */
export function networkClassOf(plan: Pick<SessionPlan, 'network'>): string {
  if ('class' in plan.network) return plan.network.class;
  const base = path.basename(plan.network.trace).replace(/\.[^.]*$/, '');
  return `trace:${base.replace(/[^A-Za-z0-9_.:-]/g, '_')}`.slice(0, 64);
}

function parseTrace(file: string, text: string): NetworkTrace {
  try {
    return /^\s*[[{]/.test(text) ? parseSabreTrace(text) : parseCsvTrace(text, { latencyMs: CSV_LATENCY_MS });
  } catch (error) {
    if (error instanceof TraceParseError) {
      throw new InputFileError(
        file,
        error.field ? `${error.where}, ${error.field}` : error.where,
        error.reason,
      );
    }
    throw error;
  }
}

function parseText(file: string, text: string): unknown {
  const isJson = /\.json$/i.test(file) || (!/\.ya?ml$/i.test(file) && /^\s*[[{]/.test(text));
  if (isJson) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InputFileError(
        file,
        jsonWhere(text, error as Error),
        `not JSON (${(error as Error).message})`,
      );
    }
  }
  const document = parseDocument(text);
  const first = document.errors[0];
  if (first) {
    const line = first.linePos?.[0];
    const where = line ? `line ${line.line}, column ${line.col}` : 'YAML';
    throw new InputFileError(file, where, `not YAML (${first.message.split('\n')[0]})`);
  }
  return document.toJS();
}

/** `line N` from V8's "at position N" in a JSON.parse message, when it says. */
function jsonWhere(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  if (!position) return /end of JSON input/.test(error.message) ? `line ${text.split('\n').length}` : 'JSON';
  const before = text.slice(0, Number(position[1]));
  return `line ${before.split('\n').length}`;
}

async function readText(file: string, reportAs: string, where: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const reason = file === reportAs ? `cannot read (${code})` : `cannot read trace file ${file} (${code})`;
    throw new InputFileError(reportAs, where, reason);
  }
}
