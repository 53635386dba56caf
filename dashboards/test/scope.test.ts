import { describe, expect, it } from 'vitest';
import { onlySyntheticHint, scopeBanner, scopeFromSearch, writeScope } from '../src/ui/scope.js';

describe('the viewer scope of a dashboards page', () => {
  it.each([
    ['', 'real'],
    ['?synthetic=real', 'real'],
    ['?synthetic=synthetic', 'synthetic'],
    ['?videoId=v1&synthetic=all', 'all'],
    // A typo or an old link never widens the numbers beyond real viewers.
    ['?synthetic=1', 'real'],
    ['?synthetic=ALL', 'real'],
  ])('reads %j as %s', (search, scope) => {
    expect(scopeFromSearch(search)).toBe(scope);
  });

  it.each([
    ['real', 'videoId=v1'],
    ['synthetic', 'videoId=v1&synthetic=synthetic'],
    ['all', 'videoId=v1&synthetic=all'],
  ] as const)('writes %s into the page URL as %j (the default stays out)', (scope, search) => {
    const params = new URLSearchParams('videoId=v1&synthetic=all');
    writeScope(params, scope);
    expect(params.toString()).toBe(search);
  });

  it('shows a banner whenever the numbers include simulated viewers, and none for real viewers only', () => {
    expect(scopeBanner('real')).toBeUndefined();
    expect(scopeBanner('synthetic')).toBe(
      'Simulated viewers only: every number on this page comes from synthetic (simulated) viewers, not from people.',
    );
    expect(scopeBanner('all')).toBe(
      'Includes simulated viewers: these numbers mix real viewers with synthetic (simulated) ones.',
    );
  });

  it('says how many simulated plays wait behind an empty real page', () => {
    expect(onlySyntheticHint(1)).toBe(
      "No real viewers here yet, but there is 1 simulated play (synthetic viewers, e.g. the demo's simulated audience).",
    );
    expect(onlySyntheticHint(40)).toBe(
      "No real viewers here yet, but there are 40 simulated plays (synthetic viewers, e.g. the demo's simulated audience).",
    );
  });
});
