import type { Config } from '@streamloop/core/config';

/**
 * Separate processes must agree on the signing secret (every origin and edge check verifies what any
 * playback API signed) and on the API key, so in services mode neither may be generated per process.
 */
export function requireDeliverySecrets(config: Pick<Config, 'signingSecret' | 'apiKey'>): {
  signingSecret: string;
  apiKey: string;
} {
  const missing = [
    ...(config.signingSecret === undefined ? ['STREAMLOOP_SIGNING_SECRET'] : []),
    ...(config.apiKey === undefined ? ['STREAMLOOP_API_KEY'] : []),
  ];
  if (missing.length > 0 || config.signingSecret === undefined || config.apiKey === undefined) {
    throw new Error(
      `${missing.join(' and ')} must be set when delivery runs as its own process (every process must share them; e.g. \`openssl rand -hex 32\`)`,
    );
  }
  return { signingSecret: config.signingSecret, apiKey: config.apiKey };
}
