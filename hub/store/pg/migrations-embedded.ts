// The PostgreSQL migrations as text inside the program. From the sources (tsx, tests) this is
// null and migrate.ts reads hub/store/pg/migrations/*.sql; the production bundle
// (.build/bundle.mjs) replaces this module with the files' names and text, so dist/hub runs
// without the .sql files beside it.
export const EMBEDDED_MIGRATIONS: ReadonlyArray<{ name: string; sql: string }> | null = null;
