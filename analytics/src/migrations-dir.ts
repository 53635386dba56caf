/** The analytics store's migrations (`migrations/*.sql`), for the service and for tools that build a store. */
export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);
