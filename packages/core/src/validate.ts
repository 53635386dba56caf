import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// TypeBox checks a `format` only once it is registered, and refuses every value of an unknown one.
// The contracts use `date-time`: RFC 3339 (what `Date#toISOString` writes), a real instant.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));

export interface ValidationIssue {
  /** JSON pointer of the offending value, '' for the root. */
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Compiles a schema once; the returned function never throws on bad data, it returns the issues. */
export function createValidator<S extends TSchema>(
  schema: S,
  maxIssues = 10,
): (value: unknown) => Validation<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return { ok: true, value };
    const issues: ValidationIssue[] = [];
    for (const error of compiled.Errors(value)) {
      issues.push({ path: error.path, message: error.message });
      if (issues.length >= maxIssues) break;
    }
    return { ok: false, issues };
  };
}

/** `/path: message; …` for one-line error messages (`/` for the root). */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path || '/'}: ${issue.message}`).join('; ');
}
