// The hub's leader role (issue 20): the elector over a controllable lease and over the lowdb
// adapter's in-process lease, the ordered duties, fencing refusals, the hub id, and /readyz's
// view of leadership and the store.
import { describe, expect, it } from 'vitest';
import { healthApi } from '../../hub/api/health.js';
import type { ApiDeps } from '../../hub/api/context.js';
import { createRegistry } from '../../hub/common/metrics.js';
import { silentLogger } from '../../hub/common/log.js';
import { Duties } from '../../hub/leader/duties.js';
import { LeaderElector } from '../../hub/leader/elector.js';
import { isStaleEpoch } from '../../hub/leader/fencing.js';
import { leaderOnly } from '../../hub/leader/api-guard.js';
import { hubClientId, hubIdOf } from '../../hub/leader/identity.js';
import { hubConfigSchema } from '../../hub/config.js';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { type Lease, type Leadership, StaleEpochError, StoreUnavailableError } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { tempDir } from './fixtures.js';

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A lease the test hands out, takes away, or makes fail like an unreachable database. */
class TestLeadership implements Leadership {
  free = false;
  down = false;
  epoch = 0;
  bids = 0;
  releases = 0;
  private lose: (() => void) | null = null;
  async tryAcquire(): Promise<Lease | null> {
    this.bids++;
    if (this.down) throw new StoreUnavailableError('connect ECONNREFUSED');
    if (!this.free) return null;
    this.free = false;
    let lose!: () => void;
    const lost = new Promise<void>((r) => (lose = r));
    this.lose = lose;
    return { epoch: ++this.epoch, lost };
  }
  async release(): Promise<void> {
    this.releases++;
    this.lose?.();
    this.lose = null;
  }
  /** The connection of the lease died (another hub may take it now). */
  kill(): void {
    this.lose?.();
    this.lose = null;
  }
}

function elector(l: Leadership, log: string[], opts: { failLead?: () => boolean; holder?: string } = {}) {
  let inside = 0;
  const step = async (what: string) => {
    inside++;
    if (inside > 1) log.push('OVERLAP');
    await new Promise((r) => setTimeout(r, 3));
    log.push(what);
    inside--;
  };
  return new LeaderElector({
    leadership: l,
    holder: opts.holder ?? 'hub-a',
    epoch: async () => (l instanceof TestLeadership ? l.epoch : 0),
    retryMs: 10,
    now: () => Date.now(),
    log: silentLogger,
    lead: async (lease) => {
      await step(`lead ${lease.epoch}`);
      if (opts.failLead?.()) throw new Error('reload failed');
    },
    follow: (reason) => step(`follow ${reason}`),
  });
}

describe('leader elector', () => {
  it('follows while another hub leads, leads when the lease is free, follows at once when it is lost, bids again', async () => {
    const l = new TestLeadership();
    const log: string[] = [];
    const e = elector(l, log);
    await e.start();
    expect(e.state).toMatchObject({ leader: false, holder: 'hub-a', storeUp: true });
    await until(() => l.bids >= 3, 'repeated bids');
    expect(log).toEqual([]);
    l.free = true;
    await until(() => e.state.leader, 'leading');
    expect(e.state.epoch).toBe(1);
    l.kill();
    await until(() => !e.state.leader, 'following');
    l.free = true;
    await until(() => e.state.leader && e.state.epoch === 2, 'leading again under a new epoch');
    await e.stop();
    expect(log).toEqual(['lead 1', 'follow lease lost', 'lead 2', 'follow stopping']);
    expect(e.state.leader).toBe(false);
  });

  it('reports the store down while bids fail and up again when one answers', async () => {
    const l = new TestLeadership();
    l.down = true;
    const e = elector(l, []);
    await e.start();
    expect(e.state.storeUp).toBe(false);
    expect(e.state.storeError).toMatch(/ECONNREFUSED/);
    l.down = false;
    await until(() => e.state.storeUp, 'store up');
    expect(e.state.storeError).toBeNull();
    await e.stop();
  });

  it('gives the lease back when the duties fail to start, and leads at a later bid', async () => {
    const l = new TestLeadership();
    l.free = true;
    const log: string[] = [];
    let failures = 1;
    const e = elector(l, log, { failLead: () => failures-- > 0 });
    await e.start();
    expect(l.releases).toBe(1);
    l.free = true;
    await until(() => e.state.leader && log.includes('lead 2'), 'second lead');
    await e.stop();
    expect(log).toEqual(['lead 1', 'follow lease lost', 'lead 2', 'follow stopping']);
  });

  it('a stale-epoch refusal deposes the hub: it stops its duties and bids again', async () => {
    const l = new TestLeadership();
    l.free = true;
    const log: string[] = [];
    const e = elector(l, log);
    await e.start();
    expect(e.state.leader).toBe(true);
    e.deposed('write refused');
    await until(() => log.includes('follow lease lost'), 'following after deposition');
    expect(e.state.leader).toBe(false);
    await e.stop();
    expect(log).not.toContain('OVERLAP');
  });

  it('over the lowdb adapter: one of two bidders leads; when it stops the other leads under a higher epoch', async () => {
    const dir = tempDir('leader-lowdb');
    const store = new HubStore(dir);
    await store.load();
    const port = await LowdbStore.open(store, dir);
    const logA: string[] = [];
    const logB: string[] = [];
    const a = elector(port.leadership('a'), logA, { holder: 'a' });
    const b = elector(port.leadership('b'), logB, { holder: 'b' });
    await a.start();
    await b.start();
    expect([a.state.leader, b.state.leader]).toEqual([true, false]);
    const first = a.state.epoch;
    await a.stop();
    await until(() => b.state.leader, 'b leads');
    expect(b.state.epoch).toBeGreaterThan(first);
    expect(await port.epoch()).toBe(b.state.epoch);
    await b.stop();
    await port.close();
  });
});

describe('leader duties', () => {
  const lease: Lease = { epoch: 7, lost: new Promise(() => undefined) };
  it('start in order, stop in reverse; a failed start stops the ones started; a stuck stop is bounded', async () => {
    const log: string[] = [];
    const duty = (name: string, o: { failStart?: boolean; stuck?: boolean } = {}) => ({
      name,
      start: (l: Lease) => {
        if (o.failStart) throw new Error('no');
        log.push(`start ${name} ${l.epoch}`);
      },
      stop: () => {
        log.push(`stop ${name}`);
        return o.stuck ? new Promise<void>(() => undefined) : undefined;
      },
    });
    const ok = new Duties([duty('a'), duty('b', { stuck: true }), duty('c')], silentLogger, 50);
    await ok.start(lease);
    expect(ok.active).toEqual(['a', 'b', 'c']);
    await ok.stop('test');
    expect(log).toEqual(['start a 7', 'start b 7', 'start c 7', 'stop c', 'stop b', 'stop a']);
    expect(ok.active).toEqual([]);
    log.length = 0;
    const bad = new Duties([duty('a'), duty('b', { failStart: true }), duty('c')], silentLogger);
    await expect(bad.start(lease)).rejects.toThrow(/leader duty b: no/);
    expect(log).toEqual(['start a 7', 'stop a']);
  });
});

describe('leader-only API actions', () => {
  it('reject with 503 not_leader on a follower, pass on the leader; other methods always pass', async () => {
    let leading = false;
    const target = {
      n: 0,
      async fire(x: number) {
        this.n += x;
        return this.n;
      },
      peek() {
        return this.n;
      },
    };
    const g = leaderOnly(target, ['fire'], () => leading);
    await expect(g.fire(1)).rejects.toMatchObject({ status: 503, code: 'not_leader', message: expect.stringMatching(/leading hub.*ведущий хаб/) });
    expect(g.peek()).toBe(0);
    leading = true;
    expect(await g.fire(2)).toBe(2);
    expect(target.n).toBe(2);
  });
});

describe('fencing, identity', () => {
  it('recognises a stale-epoch refusal, also wrapped', () => {
    const stale = new StaleEpochError(3, 4);
    expect(isStaleEpoch(stale)).toBe(true);
    expect(isStaleEpoch(new Error('cycle failed', { cause: stale }))).toBe(true);
    expect(isStaleEpoch(new Error('other'))).toBe(false);
    expect(isStaleEpoch('StaleEpochError')).toBe(false);
  });
  it('names a hub by its config, else by host and port', () => {
    expect(hubIdOf({ hub_id: 'hub-a', http: { port: 8080 } })).toBe('hub-a');
    expect(hubIdOf({ http: { port: 8081 } }, 'pi.local')).toBe('pi.local-8081');
    expect(hubIdOf({ http: { port: 1 } }, '_weird host!')).toBe('weird-host--1');
    expect(hubClientId('hub-a')).toBe('gsmjobs-hub-hub-a');
    expect(hubConfigSchema.parse({ hub_id: 'hub-a.dc1' }).hub_id).toBe('hub-a.dc1');
    expect(hubConfigSchema.safeParse({ hub_id: 'hub a/+' }).error?.issues[0]?.path).toEqual(['hub_id']);
    expect(hubConfigSchema.safeParse({ hub_id: 'x'.repeat(64) }).success).toBe(false);
  });
});

describe('/readyz and leadership', () => {
  const deps = (o: { leader: boolean; storeUp: boolean; prometheus: boolean }) =>
    ({
      health: {
        mqttUp: () => true,
        prometheusOk: () => o.prometheus,
        leadership: () => ({ leader: o.leader, epoch: 5, holder: 'hub-b', storeUp: o.storeUp, storeError: o.storeUp ? null : 'connect ECONNREFUSED' }),
      },
      lastCycle: () => null,
      registry: createRegistry({ defaultMetrics: false }),
    }) as unknown as ApiDeps;
  const readyz = async (d: ApiDeps) => {
    const res = await healthApi(d).request('/readyz');
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  it('a follower is ready without polling Prometheus; the leader needs it', async () => {
    expect(await readyz(deps({ leader: false, storeUp: true, prometheus: false }))).toMatchObject({ status: 200, body: { status: 'ready', leader: false, epoch: 5, holder: 'hub-b', prometheus: 'not_polled', store: 'up' } });
    expect(await readyz(deps({ leader: true, storeUp: true, prometheus: false }))).toMatchObject({ status: 503, body: { status: 'degraded', degraded: ['prometheus'], leader: true } });
  });
  it('the store unreachable: 503 degraded: store (its error is logged, not shown)', async () => {
    const r = await readyz(deps({ leader: false, storeUp: false, prometheus: true }));
    expect(r).toMatchObject({ status: 503, body: { status: 'degraded', degraded: ['store'], store: 'down' } });
    expect(JSON.stringify(r.body)).not.toContain('ECONNREFUSED');
  });
});
