/**
 * Which viewers a dashboards page counts: real people (the default), simulated viewers (the
 * simulator, the demo's audience) or both. It travels as `?synthetic=` in the page URL and in every
 * QoE API call. Pure (no DOM), so it is tested in Node.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';

// Spelt here, typed by core: core's qoe-api module builds TypeBox schemas when it loads, so importing
// a value from it would put TypeBox into every page's bundle.
export const SCOPES: readonly SyntheticScope[] = ['real', 'synthetic', 'all'];
export const DEFAULT_SCOPE: SyntheticScope = 'real';

export const SCOPE_LABELS: Readonly<Record<SyntheticScope, string>> = {
  real: 'Real viewers',
  synthetic: 'Simulated',
  all: 'All',
};

/** The page URL's `?synthetic=`; anything it does not name (or nothing) is the real viewers. */
export function scopeFromSearch(search: string): SyntheticScope {
  const value = new URLSearchParams(search).get('synthetic');
  return SCOPES.find((scope) => scope === value) ?? DEFAULT_SCOPE;
}

/** Writes the scope into URL search params; the default stays out so a plain link means real viewers. */
export function writeScope(params: URLSearchParams, scope: SyntheticScope): void {
  if (scope === DEFAULT_SCOPE) params.delete('synthetic');
  else params.set('synthetic', scope);
}

/**
 * The banner a page shows while its numbers include simulated viewers; undefined for real viewers
 * only. Simulated numbers must never pass for real ones (issue 11), so it names them twice.
 */
export function scopeBanner(scope: SyntheticScope): string | undefined {
  if (scope === 'synthetic')
    return 'Simulated viewers only: every number on this page comes from synthetic (simulated) viewers, not from people.';
  if (scope === 'all')
    return 'Includes simulated viewers: these numbers mix real viewers with synthetic (simulated) ones.';
  return undefined;
}

/** What the page says when real viewers left nothing here but simulated ones did. */
export function onlySyntheticHint(syntheticPlays: number): string {
  const plays = `${syntheticPlays} simulated ${syntheticPlays === 1 ? 'play' : 'plays'}`;
  return `No real viewers here yet, but there ${syntheticPlays === 1 ? 'is' : 'are'} ${plays} (synthetic viewers, e.g. the demo's simulated audience).`;
}
