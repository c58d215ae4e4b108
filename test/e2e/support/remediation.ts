// Helpers of the remediation end-to-end test (issue 10 over the real stack of issue 7): SimPal
// D210 sockets and power-cycle jobs seeded through the API, whole SMS messages reassembled from
// the modem simulator's parts, the hub's executions and incidents, its metrics.
import { SITE, type SimSms, type Stack } from '../stack.js';
import { until } from './child.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The SimPal D210 socket of a simulated device has its own phone: +7916555<device id>. */
export const socketPhone = (device: string): string => `+7916555${device}`;

/** The catalog command "#12#0#{minutes}#1#" (power off for N minutes, then on) as the modem sees it. */
export const powerCycleText = (minutes: number): string => `#12#0#${minutes}#1#`;

export interface Seeded {
  device: string;
  phone: string;
  controlDeviceId: string;
  jobId: string;
  jobName: string;
  deviceName: string;
  steps: Json[];
}

export interface PlaybookShape {
  /** Every wait step lasts this long (the template's are minutes). */
  waitS: number;
  /** Every verify step's deadline. */
  verifyS: number;
  webhookId: string;
}

/**
 * "Power-cycle and verify" for one device: its own D210 socket (control device), the template
 * from POST /playbooks/templates/power-cycle with the waits and verify deadlines shortened for
 * the test, and a job "signage_device_online == 0 for 0 s" on the device with that playbook.
 */
export async function seedPowerCycle(stack: Stack, device: string, shape: PlaybookShape): Promise<Seeded> {
  const api = stack.hub.api;
  const phone = socketPhone(device);
  const cd = await api('POST', '/api/v1/control-devices', { name: `Розетка ${device} / socket ${device}`, phone, model: 'SIMPAL_D210', site_ids: [SITE] });
  const template = await api('POST', '/api/v1/playbooks/templates/power-cycle', templateOptions(cd.id as string, shape.webhookId));
  const steps = (template.steps as Json[]).map((s) => (s.type === 'wait' ? { ...s, duration_s: shape.waitS } : s.type === 'verify' ? { ...s, within_s: shape.verifyS } : s));
  const jobName = `e2e screen ${device} offline`;
  const deviceName = `player ${device}`;
  const job = await api('POST', '/api/v1/jobs', {
    name: jobName,
    device: { key_type: 'device_id', key: device, name: deviceName },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    for_s: 0,
    cooldown_s: 3600,
    steps,
  });
  return { device, phone, controlDeviceId: cd.id as string, jobId: job.id as string, jobName, deviceName, steps };
}

/** The template request every seeded device uses (the test also checks the answer against the pure template). */
export function templateOptions(controlDeviceId: string, webhookId: string) {
  return {
    model: 'SIMPAL_D210' as const,
    site_id: SITE,
    control_device_id: controlDeviceId,
    notify: { sms: { site_id: SITE, to: 'on_call' as const }, webhooks: [webhookId] },
  };
}

/** Run async work over items, `width` at a time (the hub's store writes one file). */
export async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

export interface WholeSms {
  to: string;
  text: string;
  at: string;
  parts: number;
}

/** Whole messages the modem accepted to one number: concatenated parts joined by reference, in order [TS 23.040 9.2.3.24.1]. */
export function messagesTo(stack: Stack, phone: string): WholeSms[] {
  const parts = stack.modem.sms().filter((s) => s.to === phone);
  const singles: WholeSms[] = parts.filter((p) => !p.concat).map((p) => ({ to: p.to, text: p.text, at: p.at, parts: 1 }));
  const byRef = new Map<number, SimSms[]>();
  for (const p of parts) if (p.concat) byRef.set(p.concat.ref, [...(byRef.get(p.concat.ref) ?? []), p]);
  const joined = [...byRef.values()].map((ps) => {
    const sorted = [...ps].sort((a, b) => (a.concat?.seq ?? 0) - (b.concat?.seq ?? 0));
    return { to: phone, text: sorted.map((p) => p.text).join(''), at: sorted[0]?.at ?? '', parts: sorted.length };
  });
  return [...singles, ...joined].sort((a, b) => a.at.localeCompare(b.at));
}

/** All executions of the platform (newest first), by job id. */
export async function executionsByJob(stack: Stack): Promise<Map<string, Json[]>> {
  const r = await stack.hub.api('GET', '/api/v1/executions?limit=1000');
  const map = new Map<string, Json[]>();
  for (const e of r.items as Json[]) map.set(e.job_id as string, [...(map.get(e.job_id as string) ?? []), e]);
  return map;
}

/** Wait until the job's (only) execution has ended its playbook. */
export async function waitDone(stack: Stack, jobId: string, timeoutMs: number): Promise<Json> {
  return until(
    async () => {
      const r = await stack.hub.api('GET', `/api/v1/executions?job_id=${jobId}`);
      const e = (r.items as Json[])[0];
      return e && e.phase === 'done' ? e : undefined;
    },
    timeoutMs,
    `the execution of job ${jobId} done`,
    250,
  );
}

/** One sample of the hub's /metrics, or undefined when absent. */
export async function hubMetric(stack: Stack, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${stack.hub.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[2]);
  }
  return undefined;
}
