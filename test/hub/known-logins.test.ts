// The broker's known logins kept across restarts (issue 18): the guard gives out the pairs that
// logged in and takes them back (an address known again is read at accept, a pair exempt from
// its username's backoff); the file is written 0600 once per burst of new pairs, through a
// rename, and an unreadable or foreign file starts an empty list with a warning.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../hub/common/log.js';
import { KnownLoginsFile } from '../../hub/mqtt/known-logins.js';
import { LOGIN_GUARD, LoginGuard, type KnownLogin } from '../../hub/mqtt/login-guard.js';
import { tempDir } from './fixtures.js';

function logger() {
  const lines: string[] = [];
  return { lines, log: createLogger('t', { sink: { write: (l) => lines.push(l) } }) };
}

describe('LoginGuard known logins', () => {
  it('gives out the pairs that logged in, oldest first, and a new guard takes them back', () => {
    let t = 1_000;
    const g = new LoginGuard(() => t);
    expect(g.succeeded('10.0.0.1', 'site/p/a')).toBe(true);
    t += 10;
    expect(g.succeeded('10.0.0.2', 'site/p/b')).toBe(true);
    t += 10;
    expect(g.succeeded('10.0.0.1', 'site/p/a')).toBe(false); // known already: the list did not change
    const saved = g.knownLogins();
    expect(saved).toEqual([
      { address: '10.0.0.2', username: 'site/p/b', at: 1_010 },
      { address: '10.0.0.1', username: 'site/p/a', at: 1_020 },
    ]);
    const h = new LoginGuard(() => t);
    expect(h.isKnownAddress('10.0.0.1')).toBe(false);
    h.restoreKnown([...saved].reverse());
    expect(h.knownLogins()).toEqual(saved);
    expect(h.isKnownAddress('10.0.0.1')).toBe(true);
    expect(h.isKnown('10.0.0.2', 'site/p/b')).toBe(true);
    // A flood against b's username from elsewhere does not throttle the restored pair.
    for (let i = 0; i < 10; i++) h.failed(`10.9.0.${i}`, 'site/p/b');
    expect(h.admit('10.9.0.99', 'site/p/b').ok).toBe(false);
    expect(h.admit('10.0.0.2', 'site/p/b').ok).toBe(true);
  });

  it('keeps at most knownPairs when restoring, the newest', () => {
    const g = new LoginGuard(() => 0, { ...LOGIN_GUARD, knownPairs: 2 });
    g.restoreKnown([1, 2, 3].map((i) => ({ address: `10.0.0.${i}`, username: `site/p/${i}`, at: i })));
    expect(g.knownLogins().map((k) => k.address)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(g.isKnownAddress('10.0.0.1')).toBe(false);
  });
});

describe('KnownLoginsFile', () => {
  it('writes 0600 once per burst of changes and reads it back', async () => {
    const file = join(tempDir('known-logins'), 'sub', 'mqtt-known-logins.json');
    let list: KnownLogin[] = [{ address: '10.0.0.1', username: 'site/p/a', at: 5 }];
    let asked = 0;
    const { log, lines } = logger();
    const f = new KnownLoginsFile(file, () => (asked++, list), log, 50);
    expect(f.load()).toEqual([]); // no file yet: nothing to say
    f.changed();
    list = [...list, { address: '10.0.0.2', username: 'site/p/b', at: 6 }];
    f.changed();
    await new Promise((r) => setTimeout(r, 200));
    expect(asked).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new KnownLoginsFile(file, () => [], log).load()).toEqual(list);
    f.changed();
    await f.flush(); // at stop: written at once
    expect(asked).toBe(2);
    expect(lines).toEqual([]);
  });

  it('starts empty, with a warning, from a file it cannot use', () => {
    const dir = tempDir('known-logins');
    const { log, lines } = logger();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version":1,"logins":[');
    expect(new KnownLoginsFile(bad, () => [], log).load()).toEqual([]);
    writeFileSync(bad, '{"version":7,"logins":[]}');
    expect(new KnownLoginsFile(bad, () => [], log).load()).toEqual([]);
    writeFileSync(bad, JSON.stringify({ version: 1, logins: [{ address: '10.0.0.1', username: 'u', at: 1 }, { address: 7 }, null, { address: 'x', username: 'y', at: 'z' }] }));
    expect(new KnownLoginsFile(bad, () => [], log).load()).toEqual([{ address: '10.0.0.1', username: 'u', at: 1 }]);
    expect(lines.filter((l) => l.includes('unreadable'))).toHaveLength(2);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    expect(new KnownLoginsFile(locked, () => [], log).load()).toEqual([]); // EISDIR
    expect(lines.filter((l) => l.includes('not read'))).toHaveLength(1);
  });
});
