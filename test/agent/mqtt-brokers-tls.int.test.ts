// Issue 20 step 4 over TLS: two real Mosquitto brokers whose certificates name different hosts
// (A: DNS localhost only; B: IP 127.0.0.1 only), one CA made here with openssl. The agent's
// adapter lists both (mqtts://localhost, mqtts://127.0.0.1), connects to A, and when A is
// SIGKILLed verifies B's certificate against B's own name (MQTT.js's `servers` option would keep
// "localhost" as the TLS server name and refuse B) and takes a job there.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../agent/config.js';
import { MqttAdapter } from '../../agent/mqtt/adapter.js';
import { examples, siteTopic } from '../../hub/common/contract/index.js';
import { silentLogger } from '../../hub/common/log.js';
import { MOSQUITTO_BIN } from '../support/mosquitto.js';
import { freePort } from '../support/ports.js';
import { type Proc, startProcess, waitFor } from '../support/process.js';
import { job } from './support/rig.js';

interface TlsBroker {
  proc: Proc;
  tlsPort: number;
  plainPort: number;
}

let dir: string;
let a: TlsBroker;
let b: TlsBroker;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A server key and certificate signed by the test CA, with the given subjectAltName. */
function serverCert(name: string, san: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
}

async function startTlsBroker(name: string): Promise<TlsBroker> {
  const [tlsPort, plainPort] = [await freePort(), await freePort()];
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    [
      'user root',
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(dir, 'ca.pem')}`,
      `certfile ${join(dir, `${name}.pem`)}`,
      `keyfile ${join(dir, `${name}.key`)}`,
      `listener ${plainPort} 127.0.0.1`,
      '',
    ].join('\n'),
  );
  const proc = startProcess(MOSQUITTO_BIN, ['-c', conf], { name: `mosquitto-${name}` });
  await waitFor(
    async () => {
      if (proc.done) throw new Error(`mosquitto ${name} exited:\n${proc.output().slice(-2000)}`);
      const c = mqtt.connect(`mqtt://127.0.0.1:${plainPort}`, { username: 'hub', password: 'hub-secret', reconnectPeriod: 0 });
      const ok = await new Promise<boolean>((r) => {
        c.once('connect', () => r(true));
        c.once('error', () => r(false));
        c.once('close', () => r(false));
      });
      c.end(true);
      return ok;
    },
    10_000,
    `mosquitto ${name} with TLS`,
  );
  return { proc, tlsPort, plainPort };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gsmjobs-brokers-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=gsmjobs test CA');
  serverCert('a', 'DNS:localhost');
  serverCert('b', 'IP:127.0.0.1');
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  chmodSync(pw, 0o600);
  execFileSync('mosquitto_passwd', ['-b', pw, 'site/p1/s1', 'tls-secret']);
  execFileSync('mosquitto_passwd', ['-b', pw, 'hub', 'hub-secret']);
  [a, b] = await Promise.all([startTlsBroker('a'), startTlsBroker('b')]);
}, 60_000);

afterAll(async () => {
  await a?.proc.stop();
  await b?.proc.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two brokers over TLS, certificates for different names', () => {
  it('moves from mqtts://localhost to mqtts://127.0.0.1, verifying each certificate against its own host', async () => {
    const got: string[] = [];
    const config = agentConfigSchema.parse({
      platform_id: 'p1',
      site_id: 's1',
      mqtt: { url: [`mqtts://localhost:${a.tlsPort}`, `mqtts://127.0.0.1:${b.tlsPort}`], password: 'tls-secret', reconnect_s: 0.5, tls: { ca_file: join(dir, 'ca.pem') } },
    });
    const adapter = new MqttAdapter({
      config,
      log: silentLogger,
      onJob: async (j) => {
        got.push(j.execution_id);
      },
      onMalformed: () => undefined,
      onUpdateAcked: () => undefined,
      pendingUpdates: () => [],
    });
    // The status is re-published after each connect, after the job subscription: once the hub
    // sees it on B, the agent's subscription there exists.
    adapter.publishStatus({ ...examples.exampleStatus, platform_id: 'p1', site_id: 's1' });
    const hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.plainPort}`, { username: 'hub', password: 'hub-secret' });
    let statusOnB = false;
    hub.on('message', (topic) => {
      if (topic.endsWith('/status')) statusOnB = true;
    });
    await hub.subscribeAsync(siteTopic({ platform_id: 'p1', site_id: 's1' }, 'status'), { qos: 1 });
    adapter.start();
    try {
      await waitFor(() => adapter.connected, 10_000, 'adapter on A over TLS');
      expect(adapter.broker).toBe(`mqtts://localhost:${a.tlsPort}`);
      expect(statusOnB).toBe(false);
      a.proc.kill('SIGKILL');
      await waitFor(() => adapter.connected && adapter.broker === `mqtts://127.0.0.1:${b.tlsPort}`, 15_000, 'adapter on B over TLS');
      await waitFor(() => statusOnB, 10_000, 'agent status on B');
      await hub.publishAsync(siteTopic({ platform_id: 'p1', site_id: 's1' }, 'job'), JSON.stringify(job('tls-b-1')), { qos: 1 });
      await waitFor(() => got.length === 1, 10_000, 'job taken on B');
      expect(got).toEqual(['tls-b-1']);
    } finally {
      await adapter.stop();
      await hub.endAsync();
    }
  }, 40_000);
});
