// One suite, two modems: the scripted modem on @serialport/binding-mock always, and a real
// modem when MODEM_PORT is set (e.g. MODEM_PORT=/dev/serial/by-id/... MODEM_PIN=1234
// MODEM_TEST_TO=+7916... npx vitest run test/agent/modem-contract.test.ts). Sending to a real
// number happens only when MODEM_TEST_TO is given.
import { afterEach, describe, expect, it } from 'vitest';
import { AtEngine } from '../../agent/at/engine.js';
import { ModemDriver } from '../../agent/modem/driver.js';
import { defaultBinding } from '../../agent/modem/stack.js';
import { type SerialBinding, SerialLink } from '../../agent/serial/port.js';
import { encodeSubmit } from '../../agent/sms/submit.js';
import { silentLogger } from '../../hub/common/log.js';
import { waitFor } from '../support/process.js';
import { mockModem } from './support/mock-modem.js';

interface Target {
  name: string;
  make(): Promise<{ binding: SerialBinding; path: string; pin?: string; to: string | undefined }>;
}

const targets: Target[] = [
  {
    name: 'scripted modem on binding-mock',
    make: async () => {
      const m = mockModem({ model: 'SIM7600', spam: true, pin: '1357' });
      return { binding: m.binding, path: m.path, pin: '1357', to: '+79161234567' };
    },
  },
];
const realPort = process.env.MODEM_PORT;
if (realPort) {
  targets.push({
    name: `real modem at ${realPort}`,
    make: async () => ({ binding: await defaultBinding(), path: realPort, ...(process.env.MODEM_PIN ? { pin: process.env.MODEM_PIN } : {}), to: process.env.MODEM_TEST_TO }),
  });
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe.each(targets)('modem contract: $name', (target) => {
  async function up() {
    const t = await target.make();
    const engine: AtEngine = new AtEngine({ onUrc: (u) => driver.onUrc(u) });
    const link = new SerialLink({ path: t.path, baudRate: Number(process.env.MODEM_BAUD ?? 115200), binding: t.binding, engine, log: silentLogger, onLost: (r) => driver.portLost(r) });
    const driver: ModemDriver = new ModemDriver({
      engine,
      link,
      log: silentLogger,
      config: { pin: t.pin, cnmi: '2,1,0,1,0', registrationTimeoutMs: 60_000, syncAttempts: 5, pollIntervalMs: 10_000, resetWaitMs: 10_000, reopenDelayMs: 1000, sendTimeoutMs: 60_000 },
    });
    stops.push(() => driver.stop());
    driver.start();
    await waitFor(() => driver.isUp, 90_000, `modem up (${JSON.stringify(driver.status)})`, 100);
    return { driver, to: t.to };
  }

  it('comes up with identity, registration and signal [TS 27.007 5.1, 7.2, 8.5]', async () => {
    const { driver } = await up();
    const s = driver.status;
    expect(s.state).toBe('up');
    expect(s.manufacturer && s.model).toBeTruthy();
    expect(['home', 'roaming']).toContain(s.registration);
    const dbm = s.signal_dbm ?? null;
    expect(dbm === null || (dbm >= -113 && dbm <= -51)).toBe(true);
  }, 120_000);

  it('sends one SMS and gets a TP-MR [TS 27.005 3.5.1]', async () => {
    const { driver, to } = await up();
    if (!to) return; // real modem without MODEM_TEST_TO: no SMS is sent
    const parts = encodeSubmit({ to, text: 'gsmjobs modem contract test / проверка', statusReport: false }).parts;
    const refs = await driver.sendParts(parts, { beforePart: async () => undefined, afterPart: async () => undefined });
    expect(refs).toHaveLength(1);
    expect(refs[0]).toBeGreaterThanOrEqual(0);
    expect(refs[0]).toBeLessThanOrEqual(255);
  }, 120_000);
});
