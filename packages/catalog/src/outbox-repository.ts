/**
 * The outbox: messages written in the same transaction (or statement) as the state change they
 * announce, published afterwards by their writer or by a relay (outbox-relay.ts). Publishing always
 * goes through `claimUnpublishedOutbox` (FOR UPDATE SKIP LOCKED) and `markOutboxPublished` inside
 * one transaction, so two publishers never send the same row.
 */
import type { Queryable } from './catalog.js';

export interface OutboxMessage {
  id: number;
  topic: string;
  key: string;
  payload: unknown;
  createdAt: string;
}

/** Records a message in the caller's transaction, so it exists if and only if the state change commits. */
export async function enqueueOutbox(
  tx: Queryable,
  message: { topic: string; key: string; payload: unknown },
): Promise<number> {
  const rows = await tx.query<{ id: number | string }>(
    'INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb) RETURNING id',
    [message.topic, message.key, JSON.stringify(message.payload)],
  );
  return Number(rows[0]!.id);
}

export interface ClaimOptions {
  /** Leaves rows younger than this to the writer that is about to publish them itself. */
  minAgeMs?: number;
  /** Only these rows (a writer publishing what it just committed). */
  ids?: readonly number[];
}

/**
 * Locks up to `limit` unpublished messages, oldest first, skipping rows another transaction holds:
 * call it inside `catalog.transaction()`, publish, then `markOutboxPublished` in the same transaction.
 */
export async function claimUnpublishedOutbox(
  db: Queryable,
  limit: number,
  options: ClaimOptions = {},
): Promise<OutboxMessage[]> {
  const rows = await db.query<{
    id: number | string;
    topic: string;
    key: string;
    payload: unknown;
    created_at: Date | string;
  }>(
    `SELECT id, topic, key, payload, created_at FROM outbox
     WHERE published_at IS NULL AND created_at <= now() - make_interval(secs => $2::double precision / 1000)
       AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))
     ORDER BY id
     LIMIT $1
     FOR UPDATE SKIP LOCKED`,
    [limit, options.minAgeMs ?? 0, options.ids === undefined ? null : [...options.ids]],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    topic: row.topic,
    key: row.key,
    payload: row.payload,
    createdAt: (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString(),
  }));
}

/** Returns how many of `ids` were newly marked. */
export async function markOutboxPublished(db: Queryable, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.query(
    'UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL RETURNING id',
    [ids],
  );
  return rows.length;
}
