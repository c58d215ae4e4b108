// The broker keeps the (address, username) pairs that logged in across a hub restart (issue 18):
// a hub that comes back while a login flood is still going serves its agents first. Over the
// real hub process (production bundle) with a tiny failure budget, so that a couple of wrong
// passwords spend it: an agent logs in, its pair lands in <data_dir>/mqtt-known-logins.json
// (0600), the hub is SIGKILLed and restarted on the same data dir, strangers spend the budget
// until new addresses are reset unread (a site that never logged in from its address is refused
// too), and the known agent still gets CONNACK 0 at once. Without the file it was a stranger.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/process.js';
import { agentLogin, type FloodHub, startFloodHub } from './login-flood-driver.js';
import { rawConnect } from '../support/mqtt-raw.js';

// The smallest budget the config takes: 100 ms of failed hashing, refilled at 1 % of a core.
const env = { GSMJOBS_HUB_MQTT__LIMITS__HASH_SHARE: '0.01', GSMJOBS_HUB_MQTT__LIMITS__HASH_BURST_MS: '100' };
const hubs: FloodHub[] = [];

afterAll(async () => {
  for (const h of hubs) if (!h.proc.done) await h.stop();
});

describe('known MQTT logins across a hub restart', () => {
  it('serves an agent that logged in before the restart while strangers are reset unread', async () => {
    const first = await startFloodHub({ sites: 2, env });
    hubs.push(first);
    expect((await agentLogin(first, 's1', '127.0.54.1')).returnCode).toBe(0);
    const file = join(first.dir, 'data', 'mqtt-known-logins.json');
    const saved = await waitFor(
      () => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as { version: number; logins: Array<{ address: string; username: string; at: number }> };
        } catch {
          return null;
        }
      },
      10_000,
      'the known logins file',
      100,
    );
    expect(saved.version).toBe(1);
    expect(saved.logins.map((k) => [k.address, k.username])).toContainEqual(['127.0.54.1', 'site/fl/s1']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    first.proc.kill('SIGKILL');
    await first.proc.exited;

    const hub = await startFloodHub({ env, again: { dir: first.dir, passwords: first.passwords } });
    hubs.push(hub);
    expect(hub.proc.output()).toMatch(/known mqtt logins restored.*"pairs":1/);
    // Strangers with wrong passwords, each from a new address, until one is reset unread (the
    // budget is spent: no hash could start for a new address); right then, at once, a site that
    // never logged in from its address (reset like the strangers) and the agent that logged in
    // before the restart (let in). Should the budget have refilled in between on a loaded
    // machine (the new site got read), the budget is spent again and both tried again.
    let tries = 0;
    const spend = () =>
      waitFor(
        async () => {
          tries++;
          const r = await rawConnect({ port: hub.mqttPort, localAddress: `127.0.55.${tries}`, username: `site/fl/ghost-${tries}`, password: 'wrong-password', timeoutMs: 15_000 });
          return r.returnCode === null ? true : null;
        },
        30_000,
        'a stranger to be reset unread',
        0,
      );
    let round = 0;
    for (;;) {
      round++;
      await spend();
      const [fresh, known] = await Promise.all([agentLogin(hub, 's2', `127.0.56.${round}`), agentLogin(hub, 's1', '127.0.54.1')]);
      console.log(`after the restart, round ${round}: ${tries} strangers so far; new site ${fresh.returnCode} in ${fresh.ms.toFixed(0)} ms, known agent ${known.returnCode} in ${known.ms.toFixed(0)} ms`);
      expect(known.returnCode).toBe(0);
      if (fresh.returnCode === null || round === 5) {
        expect(fresh.returnCode).toBeNull();
        break;
      }
    }
  }, 90_000);
});
