import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

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
