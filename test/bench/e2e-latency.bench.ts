// End-to-end trigger-to-modem latency: the whole system (test/e2e/stack.ts: simulator, exporter,
// real Prometheus, hub with its embedded broker, agent on a pty modem); a device is flipped
// offline in the simulator and the time until its SMS's first PDU reaches the modem is measured,
// several times (the phase of the poll cycle varies). Poll 2 s, scrape 1 s, exporter refresh 1 s.
import { addJob, type Stack, startStack } from '../e2e/stack.js';
import { until } from '../e2e/support/child.js';
import type { Bench, BenchResult } from './harness.js';

const ROUNDS = 6;

const bench: Bench = async () => {
  const stack: Stack = await startStack({ broker: 'embedded', pollIntervalS: 2, scrapeIntervalS: 1, exporterRefreshS: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const device = String(30010 + i);
      const text = `bench ${device} power-cycle`;
      await addJob(stack, device, text);
      // Let the new job see the device online first, then start at a random phase of the cycle.
      await new Promise((r) => setTimeout(r, 2500 + Math.random() * 2000));
      const t0 = Date.now();
      await stack.sim.setOnline(device, false);
      const sms = await until(() => stack.modem.sms().find((s) => s.text === text), 30_000, `SMS for ${device}`, 20);
      samples.push(Date.parse(sms.at) - t0);
    }
  } finally {
    await stack.stop();
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? NaN;
  const max = samples[samples.length - 1] ?? NaN;
  const min = samples[0] ?? NaN;
  const cfg = 'poll 2 s, Prometheus scrape 1 s, exporter refresh 1 s';
  const results: BenchResult[] = [
    { name: 'e2e: simulator flip -> first PDU at the modem, median', value: median, unit: 'ms', target: { value: 2000 + 1000 + 1000 + 4000, better: 'lower' }, notes: `${cfg}; ${ROUNDS} rounds: ${samples.join(', ')} ms` },
    { name: 'e2e: simulator flip -> first PDU at the modem, max', value: max, unit: 'ms', target: { value: 2000 + 1000 + 1000 + 4000, better: 'lower' }, notes: `${cfg}; bound = poll + scrape + refresh + 4 s` },
    { name: 'e2e: simulator flip -> first PDU at the modem, min', value: min, unit: 'ms', notes: cfg },
  ];
  return results;
};

export default bench;
