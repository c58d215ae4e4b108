// The broker's login guard and its rate-limited log (issue 18), with an injected clock:
// backoff per address and per username alike for known and unknown names, a pair that logged in
// before judged only by its own failures, bounded hashing slots (known agents in a line of their
// own), a budget charged with failed checks only, what is decided before a CONNECT is read
// (atAccept, and the ConnectionGate's caps), keys bounded in size, and a log that writes a
// bounded number of lines and cuts network strings to 64 characters.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../hub/common/log.js';
import { AuthLog, shown } from '../../hub/mqtt/auth-log.js';
import { ConnectionGate } from '../../hub/mqtt/connection-gate.js';
import { addressKey, LOGIN_GUARD, LoginGuard, usernameKey } from '../../hub/mqtt/login-guard.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('LoginGuard backoff', () => {
  it('throttles an address after 5 failures, whatever usernames it tries', () => {
    const c = clock();
    const g = new LoginGuard(c.now);
    for (let i = 0; i < 5; i++) {
      expect(g.admit('10.0.0.1', `site/p/u${i}`).ok).toBe(true);
      g.failed('10.0.0.1', `site/p/u${i}`);
    }
    const a = g.admit('10.0.0.1', 'site/p/other');
    expect(a.ok).toBe(false);
    expect(a.ok === false && a.retryAfterMs).toBe(1000);
    expect(g.admit('10.0.0.2', 'site/p/other').ok).toBe(true);
    c.advance(1000);
    expect(g.admit('10.0.0.1', 'site/p/other').ok).toBe(true);
  });

  it('throttles a username after 5 failures from any addresses, and doubles the wait', () => {
    const c = clock();
    const g = new LoginGuard(c.now);
    for (let i = 0; i < 6; i++) g.failed(`10.0.1.${i}`, 'site/p/s1');
    const a = g.admit('10.0.2.1', 'site/p/s1');
    expect(a.ok === false && a.retryAfterMs).toBe(2000);
  });

  it('a pair that logged in before is judged only by its own failures', () => {
    const c = clock();
    const g = new LoginGuard(c.now);
    g.succeeded('10.0.0.9', 'site/p/s1');
    for (let i = 0; i < 20; i++) g.failed(`10.0.3.${i}`, 'site/p/s1'); // a flood from elsewhere
    expect(g.admit('10.0.4.1', 'site/p/s1').ok).toBe(false);
    expect(g.admit('10.0.0.9', 'site/p/s1').ok).toBe(true); // the real agent still gets in
    for (let i = 0; i < 6; i++) g.failed('10.0.0.9', 'site/p/s1');
    expect(g.admit('10.0.0.9', 'site/p/s1').ok).toBe(false); // but cannot guess forever either
  });

  it('keys long usernames by their first 256 characters', () => {
    expect(usernameKey('x'.repeat(65_535))).toHaveLength(256);
    expect(usernameKey('site/p/s1')).toBe('site/p/s1');
  });

  it('keys IPv6 peers by their /64 and IPv4-mapped peers by the IPv4 address', () => {
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('LoginGuard hashing slots', () => {
  it('runs at most `concurrency` at once and refuses beyond the queue', async () => {
    const g = new LoginGuard(Date.now, { ...LOGIN_GUARD, concurrency: 2, queue: 3 });
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const work = () =>
      new Promise<boolean>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve(true);
        });
      });
    const all = Array.from({ length: 7 }, () => g.verify(work));
    const refused = await Promise.race([Promise.all(all.slice(5)), new Promise((r) => setTimeout(() => r('timeout'), 1000))]);
    expect(refused).toEqual([null, null]); // 2 running + 3 waiting; the 6th and 7th are refused at once
    while (releases.length || running) {
      const r = releases.shift();
      if (r) r();
      await new Promise((res) => setImmediate(res));
    }
    expect(await Promise.all(all.slice(0, 5))).toEqual([true, true, true, true, true]);
    expect(peak).toBe(2);
    expect(g.inFlight).toBe(0);
  });
});

describe('AuthLog', () => {
  it('logs the first refusals of an interval, then one summary line', () => {
    const lines: string[] = [];
    const log = new AuthLog(createLogger('t', { sink: { write: (l) => lines.push(l) } }), { intervalMs: 60_000, detailed: 3 });
    const huge = 'c'.repeat(65_000);
    for (let i = 0; i < 1000; i++) log.refused({ reason: i % 2 ? 'throttled' : 'bad_credentials', username: 'site/p/s1', clientId: huge, address: '127.0.0.1' });
    log.flush();
    expect(lines).toHaveLength(4);
    expect(lines.join('\n').length).toBeLessThan(2000);
    const summary = JSON.parse(lines[3] as string) as { more: number; by_reason: Record<string, number> };
    expect(summary.more).toBe(997);
    expect(summary.by_reason).toEqual({ bad_credentials: 498, throttled: 499 });
    log.flush();
    expect(lines).toHaveLength(4); // nothing left out: no summary
  });

  it('cuts and escapes network strings', () => {
    expect(shown('a'.repeat(100))).toBe(`${'a'.repeat(64)}…(100 chars)`);
    expect(shown('x\ny\u0000')).toBe('x\\u000ay\\u0000');
    expect(shown(undefined)).toBeNull();
  });
});

describe('LoginGuard hashing budget', () => {
  it('spends on average at most hashShare of a core on hashes, with a burst', async () => {
    const c = clock();
    const g = new LoginGuard(c.now, { ...LOGIN_GUARD, concurrency: 1, queue: 100, hashShare: 0.4, hashBurstMs: 300 });
    const hash = () => {
      c.advance(100); // each hash takes 100 ms, and fails (only failures are charged)
      return Promise.resolve(false);
    };
    const first = [];
    for (let i = 0; i < 7; i++) first.push(await g.verify(hash));
    // Each 100 ms hash costs 100 ms and earns 40 ms back (the first one 60: the budget was full): a 300 ms burst lasts 5 hashes (300 - 60 - 4 x 60 = 0).
    expect(first).toEqual([false, false, false, false, false, null, null]);
    c.advance(500); // a quiet half second refills 200 ms
    let done = 0;
    for (let i = 0; i < 10; i++) if ((await g.verify(hash)) !== null) done++;
    expect(done).toBe(4); // 0 + 200 = 200 ms: four hashes start with budget left (200, 140, 80, 20)
    // Over a long flood, hashing time stays near 40 % of the elapsed time.
    const start = c.now();
    let spent = 0;
    for (let i = 0; i < 1000; i++) {
      if ((await g.verify(hash)) !== null) spent += 100;
      else c.advance(10); // the attacker retries 10 ms later
    }
    expect(spent / (c.now() - start)).toBeLessThan(0.45);
    // A pair that logged in before is not held back by the spent budget.
    expect(await g.verify(hash)).toBeNull();
    expect(await g.verify(hash, true)).toBe(false);
  });
});

describe('LoginGuard before a CONNECT is read (atAccept)', () => {
  it('drops an address in backoff, unless someone logged in from it', () => {
    const c = clock();
    const g = new LoginGuard(c.now);
    expect(g.atAccept('10.0.5.1')).toBeNull();
    for (let i = 0; i < 5; i++) g.failed('10.0.5.1', `site/p/u${i}`);
    expect(g.atAccept('10.0.5.1')).toBe('throttled');
    expect(g.atAccept('10.0.5.2')).toBeNull();
    g.succeeded('10.0.5.1', 'site/p/s1'); // an agent behind the same NAT logs in
    expect(g.atAccept('10.0.5.1')).toBeNull(); // read, then judged by its pair
    expect(g.admit('10.0.5.1', 'site/p/other').ok).toBe(false); // the guesser there still is not
    c.advance(1000);
  });

  it('drops new addresses while the failure budget is spent, never known ones', async () => {
    const c = clock();
    const g = new LoginGuard(c.now, { ...LOGIN_GUARD, concurrency: 1, queue: 10, hashShare: 0.1, hashBurstMs: 200 });
    g.trustAddress('127.0.0.1'); // the hub's own client
    const fail = () => {
      c.advance(100);
      return Promise.resolve(false);
    };
    expect(await g.verify(fail)).toBe(false);
    expect(g.atAccept('10.0.6.1')).toBeNull();
    expect(await g.verify(fail)).toBe(false);
    expect(await g.verify(fail)).toBe(false); // 200 - 3 x 100 + 3 x 10 earned: -70
    expect(g.saturated()).toBe(true);
    expect(g.atAccept('10.0.6.2')).toBe('busy');
    expect(g.atAccept('127.0.0.1')).toBeNull();
    c.advance(1000); // 100 ms earned back at 10 %: 30
    expect(g.atAccept('10.0.6.2')).toBeNull();
  });

  it('does not charge successful logins to the budget (the reconnect storm after a restart)', async () => {
    const c = clock();
    const g = new LoginGuard(c.now, { ...LOGIN_GUARD, concurrency: 1, queue: 10, hashShare: 0.1, hashBurstMs: 200 });
    const ok = () => {
      c.advance(100);
      return Promise.resolve(true);
    };
    for (let i = 0; i < 50; i++) expect(await g.verify(ok)).toBe(true);
    expect(g.saturated()).toBe(false);
  });

  it('does not hash for an attempt whose address went into backoff while it waited', async () => {
    const g = new LoginGuard(Date.now);
    let ran = 0;
    const r = await g.verify(
      () => {
        ran++;
        return Promise.resolve(false);
      },
      false,
      () => false,
    );
    expect(r).toBe('throttled');
    expect(ran).toBe(0);
    expect(g.inFlight).toBe(0);
  });

  it('forgets a known address with the last known pair that names it', () => {
    const g = new LoginGuard(Date.now, { ...LOGIN_GUARD, knownPairs: 2 });
    g.succeeded('10.0.7.1', 'site/p/s1');
    g.succeeded('10.0.7.1', 'site/p/s1'); // again: still one pair
    g.succeeded('10.0.7.2', 'site/p/s2');
    expect(g.isKnownAddress('10.0.7.1')).toBe(true);
    g.succeeded('10.0.7.3', 'site/p/s3'); // evicts the oldest pair
    expect(g.isKnownAddress('10.0.7.1')).toBe(false);
    expect(g.isKnownAddress('10.0.7.2')).toBe(true);
    expect(g.isKnownAddress('10.0.7.3')).toBe(true);
  });
});

describe('ConnectionGate', () => {
  it('caps connections not logged in yet per address and in all; known addresses skip the total', () => {
    const gate = new ConnectionGate({ perAddress: 2, total: 3 });
    const a1 = gate.open('10.0.8.1', false);
    const a2 = gate.open('10.0.8.1', false);
    expect(a1.ok && a2.ok).toBe(true);
    expect(gate.open('10.0.8.1', false).ok).toBe(false); // per address
    const b1 = gate.open('10.0.8.2', false);
    expect(b1.ok).toBe(true);
    expect(gate.open('10.0.8.3', false).ok).toBe(false); // total
    const k = gate.open('10.0.8.4', true);
    expect(k.ok).toBe(true); // a known address is not held to the total
    expect(gate.size).toBe(4);
    if (a1.ok) {
      a1.release();
      a1.release(); // twice counts once
    }
    expect(gate.size).toBe(3);
    expect(gate.open('10.0.8.1', false).ok).toBe(false); // total is still full (3 unknown-address slots)
    if (b1.ok) b1.release();
    expect(gate.open('10.0.8.1', false).ok).toBe(true);
    expect(gate.addresses).toBe(2);
  });
});

describe('LoginGuard budget and the waiting line', () => {
  it('a check that waited for its slot is not hashed when the budget ran out meanwhile', async () => {
    const c = clock();
    const g = new LoginGuard(c.now, { ...LOGIN_GUARD, concurrency: 1, queue: 10, hashShare: 0.1, hashBurstMs: 100 });
    let hashed = 0;
    const fail = () => {
      hashed++;
      c.advance(150);
      return Promise.resolve(false);
    };
    const all = await Promise.all([g.verify(fail), g.verify(fail), g.verify(fail), g.verify(() => Promise.resolve(true), true)]);
    expect(all).toEqual([false, null, null, true]); // the first overdraws; the waiting ones are refused unhashed; exempt goes on
    expect(hashed).toBe(1);
  });
});

describe('LoginGuard: trying a throttled username', () => {
  it('counts against the address, which then is dropped unread; not for a pair that logged in before', () => {
    const c = clock();
    const g = new LoginGuard(c.now);
    g.succeeded('10.0.9.9', 'site/p/s1');
    for (let i = 0; i < 6; i++) g.failed(`10.0.9.${i}`, 'site/p/s1'); // the username backs off
    for (let i = 0; i < 5; i++) {
      expect(g.admit('10.0.9.100', 'site/p/s1').ok).toBe(false);
      g.throttled('10.0.9.100', 'site/p/s1');
    }
    expect(g.atAccept('10.0.9.100')).toBe('throttled');
    for (let i = 0; i < 5; i++) g.throttled('10.0.9.9', 'site/p/s1');
    expect(g.atAccept('10.0.9.9')).toBeNull();
  });
});

describe('LoginGuard: known agents wait in a line of their own', () => {
  it('is served first and not refused when the flood filled the waiting line', async () => {
    const g = new LoginGuard(Date.now, { ...LOGIN_GUARD, concurrency: 1, queue: 2 });
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const work = (name: string) => () =>
      new Promise<boolean>((resolve) => {
        order.push(name);
        releases.push(() => resolve(name === 'agent'));
      });
    const flood = [g.verify(work('f1')), g.verify(work('f2')), g.verify(work('f3'))];
    expect(await g.verify(work('f4'))).toBeNull(); // 1 running + 2 waiting: full
    const agent = g.verify(work('agent'), true);
    while (order.length < 4 || releases.length) {
      const r = releases.shift();
      if (r) r();
      await new Promise((res) => setImmediate(res));
    }
    expect(await agent).toBe(true);
    expect(await Promise.all(flood)).toEqual([false, false, false]);
    expect(order).toEqual(['f1', 'agent', 'f2', 'f3']);
  });
});

describe('LoginGuard: a running check holds its typical cost', () => {
  it('turns saturated as a check starts that the budget cannot cover, and gives it back on success', async () => {
    const c = clock();
    const g = new LoginGuard(c.now, { ...LOGIN_GUARD, concurrency: 2, queue: 10, hashShare: 0.1, hashBurstMs: 40 });
    let finish: (ok: boolean) => void = () => undefined;
    const running = g.verify(() => new Promise<boolean>((resolve) => (finish = resolve)));
    await new Promise((r) => setImmediate(r));
    expect(g.saturated()).toBe(true); // 40 - 50 held: new addresses are dropped unread meanwhile
    expect(g.atAccept('10.0.10.1')).toBe('busy');
    finish(true);
    expect(await running).toBe(true);
    expect(g.saturated()).toBe(false); // a success costs nothing
  });
});
