// The broker's login guard and its rate-limited log (issue 18), with an injected clock:
// backoff per address and per username alike for known and unknown names, a pair that logged in
// before judged only by its own failures, bounded hashing slots, keys bounded in size, and a
// log that writes a bounded number of lines and cuts network strings to 64 characters.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../hub/common/log.js';
import { AuthLog, shown } from '../../hub/mqtt/auth-log.js';
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
    const all = Array.from({ length: 7 }, () => g.withSlot(work));
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
      c.advance(100); // each hash takes 100 ms
      return Promise.resolve(true);
    };
    const first = [];
    for (let i = 0; i < 7; i++) first.push(await g.withSlot(hash));
    // Each 100 ms hash costs 100 ms and earns 40 ms back: a 300 ms burst lasts 5 hashes (the last one overdraws to -40).
    expect(first).toEqual([true, true, true, true, true, null, null]);
    c.advance(500); // a quiet half second refills 200 ms
    let done = 0;
    for (let i = 0; i < 10; i++) if ((await g.withSlot(hash)) !== null) done++;
    expect(done).toBe(3); // -40 + 200 = 160 ms: three hashes start with budget left
    // Over a long flood, hashing time stays near 40 % of the elapsed time.
    const start = c.now();
    let spent = 0;
    for (let i = 0; i < 1000; i++) {
      if ((await g.withSlot(hash)) !== null) spent += 100;
      else c.advance(10); // the attacker retries 10 ms later
    }
    expect(spent / (c.now() - start)).toBeLessThan(0.45);
    // A pair that logged in before is not held back by the spent budget.
    expect(await g.withSlot(hash)).toBeNull();
    expect(await g.withSlot(hash, true)).toBe(true);
  });
});
