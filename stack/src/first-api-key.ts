import { API_KEY_SCOPES, countApiKeys, createApiKey } from '@streamloop/catalog/api-key-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { DEFAULT_OWNER } from '@streamloop/service-kit/api-key';

/**
 * A fresh stack has no scoped keys; it makes one with every scope for the default owner, so the
 * operator has something to call the API (and mint narrower keys) with. Returns the key, which is
 * shown once and stored only hashed; undefined when keys exist already. The advisory lock keeps
 * two stacks starting on one database from both making one.
 */
export async function ensureFirstApiKey(catalog: Catalog): Promise<string | undefined> {
  return catalog.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('streamloop.catalog.first_api_key'))");
    if ((await countApiKeys(tx)) > 0) return undefined;
    const { key } = await createApiKey(tx, {
      owner: DEFAULT_OWNER,
      name: 'first key',
      scopes: API_KEY_SCOPES,
    });
    return key;
  });
}
