// The MQTT adapter over TLS with a password against a real Mosquitto: the CA from config is
// trusted, the contract username is used, a job is acknowledged only after onJob resolves, and a
// broker whose certificate the configured CA did not sign is refused.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../agent/config.js';
import { MqttAdapter } from '../../agent/mqtt/adapter.js';
import { type JobRequest, siteTopic } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import { MOSQUITTO_BIN } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';
import { job } from './support/rig.js';

const fixtures = new URL('./fixtures/tls/', import.meta.url).pathname;
let dir: string;
let broker: Proc;
let tlsPort: number;
let plainPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gsmjobs-tls-'));
  [tlsPort, plainPort] = [await freePort(), await freePort()];
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  chmodSync(pw, 0o600);
  execFileSync('mosquitto_passwd', ['-b', pw, 'site/p1/s1', 'tls-secret']);
  execFileSync('mosquitto_passwd', ['-b', pw, 'hub', 'hub-secret']);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'user root',
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${pw}`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${fixtures}ca.pem`,
      `certfile ${fixtures}server.pem`,
      `keyfile ${fixtures}server.key`,
      `listener ${plainPort} 127.0.0.1`,
      '',
    ].join('\n'),
  );
  broker = startProcess(MOSQUITTO_BIN, ['-c', conf], { name: 'mosquitto-tls' });
  await waitFor(async () => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${plainPort}`, { username: 'hub', password: 'hub-secret', reconnectPeriod: 0 });
    const ok = await new Promise<boolean>((r) => {
      c.once('connect', () => r(true));
      c.once('error', () => r(false));
      c.once('close', () => r(false));
    });
    c.end(true);
    return ok;
  }, 10_000, 'mosquitto with TLS');
}, 30_000);

afterAll(async () => {
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function adapter(ca: string, onJob: (j: JobRequest) => Promise<void>) {
  const config = agentConfigSchema.parse({ platform_id: 'p1', site_id: 's1', mqtt: { url: `mqtts://127.0.0.1:${tlsPort}`, password: 'tls-secret', reconnect_s: 0.3, tls: { ca_file: ca } } });
  return new MqttAdapter({ config, log: silentLogger, onJob, onMalformed: () => undefined, onUpdateAcked: () => undefined, pendingUpdates: () => [] });
}

describe('MQTT over TLS', () => {
  it('connects with the configured CA and password and acknowledges a job after it is stored', async () => {
    const got: string[] = [];
    const a = adapter(`${fixtures}ca.pem`, async (j) => {
      await new Promise((r) => setTimeout(r, 200));
      got.push(j.execution_id);
    });
    a.start();
    try {
      await waitFor(() => a.connected, 10_000, 'adapter connected over TLS');
      const hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${plainPort}`, { username: 'hub', password: 'hub-secret' });
      await new Promise((r) => setTimeout(r, 200));
      // publishAsync resolves on PUBACK from the broker (hub side); the agent's ack is checked by got[]
      await hub.publishAsync(siteTopic({ platform_id: 'p1', site_id: 's1' }, 'job'), JSON.stringify(job('tls-1')), { qos: 1 });
      await waitFor(() => got.length === 1, 5000, 'job stored');
      expect(got).toEqual(['tls-1']);
      await hub.endAsync();
    } finally {
      await a.stop();
    }
  });

  it('does not acknowledge a job it could not store: the broker delivers it again', async () => {
    let calls = 0;
    const a = adapter(`${fixtures}ca.pem`, async () => {
      calls++;
      if (calls === 1) throw new Error('disk full');
    });
    a.start();
    try {
      await waitFor(() => a.connected, 10_000, 'adapter connected');
      const hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${plainPort}`, { username: 'hub', password: 'hub-secret' });
      await hub.publishAsync(siteTopic({ platform_id: 'p1', site_id: 's1' }, 'job'), JSON.stringify(job('tls-2')), { qos: 1 });
      await waitFor(() => calls >= 2, 10_000, 'redelivery after a failed store');
      await hub.endAsync();
    } finally {
      await a.stop();
    }
  });

  it('refuses a broker certificate not signed by the configured CA', async () => {
    const otherCa = join(dir, 'other-ca.pem');
    // the server certificate itself is not a CA, so trusting it alone cannot validate the chain
    writeFileSync(otherCa, execFileSync('cat', [`${fixtures}server.pem`]));
    const a = adapter(otherCa, async () => undefined);
    a.start();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(a.connected).toBe(false);
    } finally {
      await a.stop();
    }
  });
});
