// Issue 20: POST /jobs and POST /jobs:bulk store their Idempotency-Key record in the same write as
// the jobs (jobs.put / jobs.putMany `idempotency`), not in a second write after the answer; the
// record replays byte for byte what the client got. A key another hub took between this hub's
// read and its write (IdempotencyKeyTakenError) creates nothing and answers with that hub's
// answer, or 422 for another request. The key is read in parallel with the handler's own reads:
// what the client sees is as if it had been read first. (The crash between the job's write and the answer, with
// real processes: test/e2e/idempotency-crash.test.ts.)
import { describe, expect, it } from 'vitest';
import { createApp } from '../../hub/api/app.js';
import type { IdempotencyRecord } from '../../hub/store/port.js';
import { jobBody } from './api-helpers.js';
import { createWorld, TOKENS, type World } from './world.js';

function client(w: World) {
  const app = createApp(w.deps);
  return async (path: string, body: unknown, key: string) => {
    const res = await app.request(path, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
}

/** Count the port's idempotency puts (the middleware's own write after the answer). */
function countPuts(w: World): { puts: number } {
  const repo = w.deps.port.idempotency;
  const put = repo.put.bind(repo);
  const n = { puts: 0 };
  repo.put = (scope, rec) => {
    n.puts++;
    return put(scope, rec);
  };
  return n;
}

/** Another hub's create landed between this hub's read of the key and its write: the next read misses it once. */
function missNextRead(w: World): void {
  const repo = w.deps.port.idempotency;
  const get = repo.get.bind(repo);
  let missed = false;
  repo.get = async (scope, key): Promise<IdempotencyRecord | undefined> => {
    if (!missed) {
      missed = true;
      return undefined;
    }
    return get(scope, key);
  };
}

const CASES = [
  { name: 'POST /jobs', path: '/api/v1/jobs', body: (n: string) => jobBody({ name: `job ${n}` }), made: 1 },
  { name: 'POST /jobs:bulk', path: '/api/v1/jobs:bulk', body: (n: string) => ({ jobs: [jobBody({ name: `bulk ${n} a` }), jobBody({ name: `bulk ${n} b` })] }), made: 2 },
];

describe('Idempotency-Key record written with the jobs', () => {
  for (const k of CASES) {
    it(`${k.name}: the record is written by the create itself and replays exactly what the client got`, async () => {
      const w = await createWorld();
      const post = client(w);
      const puts = countPuts(w);
      const first = await post(k.path, k.body('1'), 'fold-key-0001');
      expect(first.status).toBe(201);
      expect(puts.puts).toBe(0);
      const again = await post(k.path, k.body('1'), 'fold-key-0001');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      for (const h of ['content-type', 'etag']) expect(again.headers.get(h)).toBe(first.headers.get(h));
      expect(w.store.jobs('a')).toHaveLength(k.made);
      // The key is read while the handler reads its references (overlap): a body refused before
      // that read still gives way to the stored answer (another request under the key: 422).
      const app = createApp(w.deps);
      const broken = await app.request(k.path, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.a}`, 'content-type': 'application/json', 'idempotency-key': 'fold-key-0001' }, body: '{"not json' });
      expect(broken.status).toBe(422);
      expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
      // A request refused before the write is not kept (fixed, it creates under the same key).
      expect((await post(k.path, k.name === 'POST /jobs' ? jobBody({ for_s: -1 }) : { jobs: [jobBody({ for_s: -1 })] }, 'fold-key-0002')).status).toBe(400);
      expect((await post(k.path, k.body('2'), 'fold-key-0002')).status).toBe(201);
      expect(w.store.jobs('a')).toHaveLength(2 * k.made);
      expect(puts.puts).toBe(0);
    });

    it(`${k.name}: a key another hub took meanwhile creates nothing; the same request replays that answer, another is 422`, async () => {
      const w = await createWorld();
      const post = client(w);
      const first = await post(k.path, k.body('1'), 'fold-race-0001');
      expect(first.status).toBe(201);
      missNextRead(w);
      const late = await post(k.path, k.body('1'), 'fold-race-0001');
      expect(late.status).toBe(201);
      expect(late.headers.get('idempotent-replayed')).toBe('true');
      expect(late.text).toBe(first.text);
      expect(w.store.jobs('a')).toHaveLength(k.made);
      missNextRead(w);
      const other = await post(k.path, k.body('2'), 'fold-race-0001');
      expect(other.status).toBe(422);
      expect((JSON.parse(other.text) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
      expect(w.store.jobs('a')).toHaveLength(k.made);
    });
  }
});
