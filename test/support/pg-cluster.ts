// PostgreSQL in vitest files: a throwaway cluster per file and a statement counter.
import { afterAll, beforeAll } from 'vitest';
import { type PgCluster, startPostgres } from './postgres.js';

/**
 * A throwaway cluster for one test file: started before its tests, destroyed after them. Call at
 * the file's top level; the returned function gives the cluster inside tests.
 */
export function useCluster(options: Parameters<typeof startPostgres>[0] = {}): () => PgCluster {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres(options);
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });
  return () => {
    if (!cluster) throw new Error('the PostgreSQL cluster is not started (useCluster() at the top level of the file)');
    return cluster;
  };
}

/** Counts the statements sent through a pool's query() from now on (a cache hit sends none). */
export function countStatements(pool: { query: unknown }): () => number {
  let n = 0;
  const query = (pool.query as (...a: unknown[]) => unknown).bind(pool);
  Object.assign(pool, { query: (...a: unknown[]) => (n++, query(...a)) });
  return () => n;
}
