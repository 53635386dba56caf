import { describe, expect, it } from 'vitest';
import { requireDeliverySecrets } from '../src/secrets.js';

const secret = 's'.repeat(32);
const key = 'k'.repeat(16);

describe('the secrets delivery needs in services mode', () => {
  it.each([
    {
      config: { signingSecret: undefined, apiKey: undefined },
      names: 'STREAMLOOP_SIGNING_SECRET and STREAMLOOP_API_KEY',
    },
    { config: { signingSecret: undefined, apiKey: key }, names: 'STREAMLOOP_SIGNING_SECRET' },
    { config: { signingSecret: secret, apiKey: undefined }, names: 'STREAMLOOP_API_KEY' },
  ])('names $names when unset', ({ config, names }) => {
    expect(() => requireDeliverySecrets(config)).toThrow(`${names} must be set`);
  });

  it('hands both back when set', () => {
    expect(requireDeliverySecrets({ signingSecret: secret, apiKey: key })).toEqual({
      signingSecret: secret,
      apiKey: key,
    });
  });
});
