/**
 * `streamloop-keys create|list|revoke`: manage API keys straight in the catalog, for when there is no
 * key to call `POST /api/v1/keys` with (or no server running). Pure over its inputs; keys-cli.ts is
 * the composition root.
 */
import { parseArgs } from 'node:util';
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '@streamloop/catalog/api-key-repository';
import type { Queryable } from '@streamloop/catalog/catalog';
import { DEFAULT_OWNER } from '@streamloop/service-kit/api-key';

export const KEYS_USAGE = `usage:
  streamloop-keys create --scopes upload,manage,analytics-read [--owner NAME] [--name LABEL] [--rate-limit N]
  streamloop-keys list [--owner NAME]
  streamloop-keys revoke KEY_ID`;

/** A usage error: the CLI prints it with the usage and exits 2. */
export class KeysUsageError extends Error {}

export async function runKeysCommand(argv: readonly string[], db: Queryable): Promise<string> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      scopes: { type: 'string' },
      owner: { type: 'string' },
      name: { type: 'string' },
      'rate-limit': { type: 'string' },
    },
  });
  switch (command) {
    case 'create': {
      const scopes = parseScopes(values.scopes);
      const rate = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
      if (rate !== undefined && !(Number.isInteger(rate) && rate > 0)) {
        throw new KeysUsageError(`--rate-limit must be a positive integer, got ${values['rate-limit']}`);
      }
      const { key, record } = await createApiKey(db, {
        owner: values.owner ?? DEFAULT_OWNER,
        scopes,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(rate === undefined ? {} : { rateLimitPerMinute: rate }),
      });
      return `created key ${record.id} (owner ${record.owner}, scopes ${record.scopes.join(',')}, ${record.rateLimitPerMinute}/min)\n${key}\nThis is the only time the key is shown; it is stored hashed.`;
    }
    case 'list': {
      const keys = await listApiKeys(db, values.owner);
      if (keys.length === 0) return 'no API keys';
      return keys
        .map(
          (k) =>
            `${k.id}  ${k.owner}  ${k.scopes.join(',')}  ${k.rateLimitPerMinute}/min  ${k.revokedAt === null ? 'active' : `revoked ${k.revokedAt}`}  ${k.name}`,
        )
        .join('\n');
    }
    case 'revoke': {
      const [id] = positionals;
      if (id === undefined) throw new KeysUsageError('revoke needs the key id (see `list`)');
      if (!(await revokeApiKey(db, id))) throw new KeysUsageError(`no API key ${id}`);
      return `revoked key ${id}`;
    }
    default:
      throw new KeysUsageError(command === undefined ? 'no command given' : `unknown command ${command}`);
  }
}

function parseScopes(raw: string | undefined): ApiKeyScope[] {
  if (raw === undefined)
    throw new KeysUsageError(`create needs --scopes (any of ${API_KEY_SCOPES.join(', ')})`);
  const scopes = [...new Set(raw.split(',').map((s) => s.trim()))];
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new KeysUsageError(`unknown scope ${unknown.join(', ')}; scopes are ${API_KEY_SCOPES.join(', ')}`);
  }
  return scopes as ApiKeyScope[];
}
