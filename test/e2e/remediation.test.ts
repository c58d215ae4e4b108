// Closed-loop remediation end to end (issue 10 over the real setup of issue 7): real Prometheus,
// the exporter over the AddReality simulator, the hub (embedded broker), an agent on the pty modem
// simulator. Every device has its own SimPal D210 socket and a "power-cycle and verify" job. The
// harness plays the socket: when the modem sends the power-cycle command to a socket's phone, it
// brings that device back online in the simulator (unless the scenario says it stays dead).
//   (a) a device goes offline -> power-cycle -> back online -> `recovered`, time to recovery;
//   (b) a device never comes back -> both power-cycles, then the on-call SMS and a signed webhook;
//   (c) 50 devices go offline together -> one incident, all held, no power-cycle SMS, people
//       notified once; the release sends them and they recover.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentText, type Incident } from '../../hub/remediation/correlation.js';
import { powerCycleTemplate } from '../../hub/remediation/playbook.js';
import { EVENT_HEADER, SIGNATURE_HEADER, verifySignature } from '../../hub/remediation/webhook.js';
import { type EventListener, PLATFORM, SITE, type SimSms, type Stack, startStack } from './stack.js';
import { E2E_LOG } from './support/checks.js';
import { ROOT, sleep, until } from './support/child.js';
import { type Received, type Receiver, startReceiver } from './support/receiver.js';
import { executionsByJob, hubMetric, inBatches, type Json, messagesTo, powerCycleText, type Seeded, seedPowerCycle, templateOptions, waitDone } from './support/remediation.js';

const SETTLE_S = 3;
const WAIT_S = 3;
const ON_CALL = '+79990001122';
const DEVICES = 60;
const A = '30002';
const B = '30003';
const BURST = Array.from({ length: 50 }, (_, i) => String(30010 + i));

let stack: Stack;
let receiver: Receiver;
let events: EventListener;
let webhook: { id: string; secret: string };
const seeded = new Map<string, Seeded>();
/** Devices whose socket brings them back online when its power-cycle command arrives. */
const comesBack = new Set<string>();
const socketCommands: Array<{ device: string; sms: SimSms }> = [];
const harnessErrors: string[] = [];
const byPhone = new Map<string, string>();

/** The harness's socket: a power-cycle command to a device's phone brings the device back. */
function onSms(sms: SimSms): void {
  const device = byPhone.get(sms.to);
  if (device === undefined) return;
  socketCommands.push({ device, sms });
  if (comesBack.has(device) && sms.text.startsWith('#12#0#')) {
    comesBack.delete(device);
    stack.sim.setOnline(device, true).catch((err: Error) => harnessErrors.push(`${device}: ${err.message}`));
  }
}

const webhookCalls = (type: string): Received[] => receiver.requests.filter((r) => r.headers[EVENT_HEADER.toLowerCase()] === type);

function expectSigned(r: Received): Json {
  const check = verifySignature(webhook.secret, r.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, r.body, Math.floor(Date.now() / 1000));
  expect(check, `signature of ${r.body}`).toMatchObject({ ok: true });
  // The secret matters: the same request does not verify with another one.
  expect(verifySignature(`${webhook.secret}x`, r.headers[SIGNATURE_HEADER.toLowerCase()] as string, r.body, Math.floor(Date.now() / 1000)).ok).toBe(false);
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(r.body) as Json;
}

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({
    devices: DEVICES,
    pollIntervalS: 2,
    scrapeIntervalS: 1,
    exporterRefreshS: 1,
    onSms,
    hubConfig: {
      remediation: {
        settle_s: SETTLE_S,
        webhooks: { allow_loopback: true, allow_private: false },
        // A budget that the release of 50 power-cycles stays under (the budget is not under test here).
        defaults: { sms_budget: { per_hour: 1000, sites: {} }, correlation: { window_s: 60, min_count: 10, min_share: 0.2, share_min_count: 3 } },
      },
    },
    ...(E2E_LOG ? { onLine: E2E_LOG } : {}),
  });
  events = await stack.listenEvents();
  const api = stack.hub.api;
  const settings = await api('PUT', '/api/v1/remediation/settings', { on_call: [{ name: 'Дежурный / on call', phone: ON_CALL }], notify_site_id: SITE });
  expect(settings).toMatchObject({ on_call: [{ phone: ON_CALL }], notify_site_id: SITE, correlation: { window_s: 60, min_count: 10 } });
  const created = await api('POST', '/api/v1/webhooks', { url: receiver.url });
  expect(created).toMatchObject({ url: receiver.url, enabled: true });
  expect(typeof created.secret).toBe('string');
  webhook = { id: created.id as string, secret: created.secret as string };
  expect(JSON.stringify(await api('GET', '/api/v1/webhooks'))).not.toContain(webhook.secret);

  for (const d of [A, B, ...BURST]) byPhone.set(`+7916555${d}`, d);
  const shape = (verifyS: number) => ({ waitS: WAIT_S, verifyS, webhookId: webhook.id });
  seeded.set(A, await seedPowerCycle(stack, A, shape(30)));
  seeded.set(B, await seedPowerCycle(stack, B, shape(10)));
  for (const s of await inBatches(BURST, 10, (d) => seedPowerCycle(stack, d, shape(30)))) seeded.set(s.device, s);
}, 180_000);

afterAll(async () => {
  await events?.close();
  await stack?.stop();
  await receiver?.close();
}, 60_000);

describe('power-cycle and verify', () => {
  it('the template endpoint answers the pure "power-cycle and verify" playbook', async () => {
    const a = seeded.get(A) as Seeded;
    const answer = await stack.hub.api('POST', '/api/v1/playbooks/templates/power-cycle', templateOptions(a.controlDeviceId, webhook.id));
    expect(answer.steps).toEqual(powerCycleTemplate(templateOptions(a.controlDeviceId, webhook.id)));
    // The job holds it with only the durations shortened: D210 off 1 min, wait, verify, off 5 min, wait, verify, notify.
    expect(a.steps.map((s) => s.type)).toEqual(['send', 'wait', 'verify', 'send', 'wait', 'verify', 'notify']);
    const job = await stack.hub.api('GET', `/api/v1/jobs/${a.jobId}`);
    expect(job.steps).toEqual(a.steps);
  });

  it('settings and webhook targets: bad input is refused naming the field, nothing changes', async () => {
    const refused = async (method: string, path: string, body: unknown): Promise<Json> => {
      const res = await fetch(`${stack.hub.url}${path}`, { method, headers: { authorization: `Bearer ${stack.seed.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `${method} ${path}`).toBe(400);
      return (await res.json()) as Json;
    };
    const bad = await refused('PUT', '/api/v1/remediation/settings', { on_call: [{ name: 'x', phone: 'not a phone' }] });
    // The API's one error shape ({ error: { code: 'invalid', field, issues: [{ field, message }] } }).
    expect(JSON.stringify(bad.error.issues)).toContain('on_call[0].phone');
    expect((await stack.hub.api('GET', '/api/v1/remediation/settings')).on_call).toEqual([{ name: 'Дежурный / on call', phone: ON_CALL }]);
    // Loopback is allowed by this hub's config, private addresses are not.
    expect(JSON.stringify(await refused('POST', '/api/v1/webhooks', { url: 'http://10.1.2.3/hook' }))).toContain('url');
    expect((await stack.hub.api('GET', '/api/v1/webhooks')).items.map((w: Json) => w.id)).toEqual([webhook.id]);
  });

  it('(a) a device goes offline: its socket power-cycles it, it comes back, the execution ends recovered with its time to recovery', async () => {
    const a = seeded.get(A) as Seeded;
    comesBack.add(A); // B (next test) goes down at the same time and never comes back.
    const flippedAt = Date.now();
    await Promise.all([stack.sim.setOnline(A, false), stack.sim.setOnline(B, false)]);

    const exec = await waitDone(stack, a.jobId, 60_000);
    const doneAt = Date.now();
    expect(harnessErrors).toEqual([]);
    expect(exec).toMatchObject({ phase: 'done', outcome: 'recovered', escalated: false, incident_id: null });
    // One command, to this device's socket, exactly the catalog text; nobody was notified.
    const toSocket = messagesTo(stack, a.phone);
    expect(toSocket.map((m) => m.text)).toEqual([powerCycleText(1)]);
    expect(exec.messages).toHaveLength(1);
    expect(exec.messages[0]).toMatchObject({ step: 0, kind: 'command', site_id: SITE, control_device_id: a.controlDeviceId, to: a.phone, text: powerCycleText(1), state: 'delivered' });
    const states = (exec.timeline as Json[]).map((t) => t.state);
    expect(states).toEqual(expect.arrayContaining(['started', 'dispatched', 'delivered', 'waited', 'recovered', 'finished']));
    expect(states).not.toContain('escalated');
    expect(states).not.toContain('held');
    // Time to recovery: from the command's dispatch to the first good sample of the verify step,
    // which starts after the wait: at least the wait, less than the whole run.
    const ttr = exec.ttr_ms as number;
    expect(ttr).toBeGreaterThanOrEqual(WAIT_S * 1000);
    expect(ttr).toBeLessThan(doneAt - flippedAt);
    const smsAt = Date.parse(toSocket[0]?.at ?? '');
    await until(async () => (await hubMetric(stack, 'gsmjobs_hub_remediations_total', { platform_id: PLATFORM, outcome: 'recovered' })) === 1, 5000, 'remediations_total{outcome="recovered"} 1');
    expect(await hubMetric(stack, 'gsmjobs_hub_remediation_ttr_seconds_count', { platform_id: PLATFORM })).toBe(1);
    expect(await hubMetric(stack, 'gsmjobs_hub_remediation_ttr_seconds_sum', { platform_id: PLATFORM })).toBeCloseTo(ttr / 1000, 1);
    // The public event says it too: the run is done, recovered, with its time to recovery.
    const done = await until(() => events.events.find((e) => e.body.execution_id === exec.id && e.body.phase === 'done' && e.body.outcome === 'recovered'), 5000, 'the recovered event');
    expect(Math.abs((done.body.ttr_s as number) * 1000 - ttr)).toBeLessThanOrEqual(1000);
    expect(events.events.filter((e) => e.body.execution_id === exec.id).map((e) => e.body.step_type)).toEqual(expect.arrayContaining(['send', 'wait', 'verify']));
    const figure = { ttr_ms: ttr, offline_to_command_at_modem_ms: smsAt - flippedAt, offline_to_recovered_in_api_ms: doneAt - flippedAt, settle_s: SETTLE_S, wait_s: WAIT_S, poll_interval_s: stack.options.pollIntervalS, measured_at: new Date().toISOString() };
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'e2e-remediation.json'), `${JSON.stringify(figure, null, 2)}\n`);
    console.log(`remediation TTR: ${ttr} ms`);
    console.log(`remediation: offline -> socket command at the modem ${figure.offline_to_command_at_modem_ms} ms -> recovered in the API ${figure.offline_to_recovered_in_api_ms} ms (settle ${SETTLE_S} s, wait ${WAIT_S} s, poll ${stack.options.pollIntervalS} s)`);
  }, 90_000);

  it('(b) a device that never comes back: both power-cycles, then the on-call SMS and a signed webhook; escalated, not_recovered', async () => {
    const b = seeded.get(B) as Seeded;
    const exec = await waitDone(stack, b.jobId, 90_000);
    expect(exec).toMatchObject({ phase: 'done', outcome: 'not_recovered', escalated: true, ttr_ms: null });
    // The socket got the short and then the long power-off, once each.
    expect(messagesTo(stack, b.phone).map((m) => m.text)).toEqual([powerCycleText(1), powerCycleText(5)]);
    // The on-call number got exactly the template's text, once.
    const text = `${b.jobName}: ${b.deviceName} not recovered after power-cycles (not_recovered)`;
    await until(() => messagesTo(stack, ON_CALL).length > 0, 15_000, 'the on-call SMS at the modem');
    expect(messagesTo(stack, ON_CALL).map((m) => m.text)).toEqual([text]);
    const kinds = (exec.messages as Json[]).map((m) => [m.kind, m.to, m.text]);
    expect(kinds).toEqual([
      ['command', b.phone, powerCycleText(1)],
      ['command', b.phone, powerCycleText(5)],
      ['notify', ON_CALL, text],
    ]);
    const states = (exec.timeline as Json[]).map((t) => t.state);
    expect(states).toEqual(expect.arrayContaining(['not_recovered', 'escalated', 'notified', 'finished']));

    // The webhook: one signed POST to the loopback receiver, logged as delivered.
    const call = await until(() => webhookCalls('execution.escalated')[0], 15_000, 'the escalation webhook');
    expect(receiver.requests.filter((r) => r.body.includes(exec.id as string))).toHaveLength(1);
    const body = expectSigned(call);
    expect(body).toMatchObject({ type: 'execution.escalated', execution_id: exec.id, platform_id: PLATFORM, job_id: b.jobId, device: { key: B }, outcome: 'not_recovered', text });
    const delivery = await until(
      async () => {
        const r = await stack.hub.api('GET', `/api/v1/webhooks/${webhook.id}/deliveries`);
        return (r.items as Json[]).find((d) => d.id === body.delivery_id && d.status === 'delivered');
      },
      10_000,
      'the delivery logged as delivered',
    );
    expect(delivery).toMatchObject({ endpoint_id: webhook.id, event_type: 'execution.escalated', body: call.body });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ http_status: 200, error: null });
    await until(async () => (await hubMetric(stack, 'gsmjobs_hub_webhook_deliveries_total', { platform_id: PLATFORM, status: 'delivered' })) === 1, 5000, 'webhook_deliveries_total{status="delivered"} 1');
    await until(() => events.events.find((e) => e.body.execution_id === exec.id && e.body.phase === 'done' && e.body.escalated === true && e.body.outcome === 'not_recovered'), 5000, 'the escalated event');
  }, 120_000);
});

describe('(c) 50 devices go offline together', () => {
  let incident: Json;
  let onCallCount = 0;

  it('one incident opens, every execution is held, no power-cycle SMS is sent, people are notified once', async () => {
    onCallCount = messagesTo(stack, ON_CALL).length;
    const webhooksBefore = receiver.requests.length;
    for (const d of BURST) comesBack.add(d); // only after a release may they be power-cycled
    await inBatches(BURST, 25, (d) => stack.sim.setOnline(d, false));

    incident = await until(
      async () => {
        const r = await stack.hub.api('GET', '/api/v1/incidents?status=open');
        return (r.items as Json[])[0];
      },
      30_000,
      'an open incident',
      250,
    );
    const held = await until(
      async () => {
        const byJob = await executionsByJob(stack);
        const list = BURST.map((d) => byJob.get((seeded.get(d) as Seeded).jobId)?.[0]);
        return list.every((e) => e?.phase === 'held') ? (list as Json[]) : undefined;
      },
      20_000,
      'the 50 executions held',
      250,
    );
    // Long enough for a power-cycle to have gone out: the settle delay and two poll cycles after
    // the last execution was held, plus the agent's round trip.
    await sleep((SETTLE_S + 2 * stack.options.pollIntervalS + 3) * 1000);

    const burstPhones = new Set(BURST.map((d) => (seeded.get(d) as Seeded).phone));
    expect(stack.modem.sms().filter((s) => burstPhones.has(s.to))).toEqual([]);
    expect(socketCommands.filter((c) => burstPhones.has(c.sms.to))).toEqual([]);
    const again = await executionsByJob(stack);
    for (const d of BURST) {
      const list = again.get((seeded.get(d) as Seeded).jobId) ?? [];
      expect(list, `executions of ${d}`).toHaveLength(1);
      expect(list[0]).toMatchObject({ phase: 'held', incident_id: incident.id, outcome: null });
      expect((list[0]?.messages as Json[]).filter((m) => m.kind === 'command')).toEqual([]);
    }
    expect(held).toHaveLength(50);
    // Each held execution said so on the public event topic, with its incident.
    for (const e of held) expect(events.events.some((ev) => ev.body.execution_id === e.id && ev.body.phase === 'held' && ev.body.incident_id === incident.id), `held event of ${e.id}`).toBe(true);

    // Exactly one incident, holding every device of the burst.
    const all = await stack.hub.api('GET', '/api/v1/incidents');
    expect((all.items as Json[]).map((i) => i.id)).toEqual([incident.id]);
    const open = await stack.hub.api('GET', '/api/v1/incidents?status=open');
    const inc = (open.items as Json[])[0] as Json;
    // Trips name the device by its key label (`device_id=30010`).
    const heldDevices = new Set((inc.held as Json[]).map((t) => String(t.device_key).replace(/^device_id=/, '')));
    for (const d of BURST) expect(heldDevices.has(d), `incident holds ${d}`).toBe(true);
    // Earlier trips inside the window (A, B) may be counted with the burst, nothing else.
    for (const d of heldDevices) expect([A, B, ...BURST]).toContain(d);
    expect(inc).toMatchObject({ platform_id: PLATFORM, status: 'open' });
    expect(await hubMetric(stack, 'gsmjobs_hub_incidents_open', { platform_id: PLATFORM })).toBe(1);

    // People notified once: one SMS to the on-call number with the incident text, one webhook.
    await until(() => messagesTo(stack, ON_CALL).length > onCallCount, 10_000, 'the incident SMS to on-call');
    const fresh = messagesTo(stack, ON_CALL).slice(onCallCount);
    expect(fresh).toHaveLength(1);
    // Both name the devices held when it opened (a burst seen over two polls adds the rest to
    // the open incident later): the first k trips of the incident, k >= the rule's 10.
    const openedWith = (k: number) => ({ ...(inc as unknown as Incident), held: (inc.held as Incident['held']).slice(0, k) });
    const texts = (inc.held as Json[]).flatMap((_, k) => (['ru', 'en'] as const).map((lang) => incidentText(openedWith(k + 1), lang)));
    expect(texts).toContain(fresh[0]?.text);
    onCallCount = messagesTo(stack, ON_CALL).length;
    const call = await until(() => webhookCalls('incident.opened')[0], 10_000, 'the incident webhook');
    expect(webhookCalls('incident.opened')).toHaveLength(1);
    expect(receiver.requests.slice(webhooksBefore)).toHaveLength(1);
    const body = expectSigned(call);
    expect(body).toMatchObject({ type: 'incident.opened', incident_id: incident.id, platform_id: PLATFORM, fleet: inc.fleet, rule: inc.rule, text: fresh[0]?.text });
    const k = (body.devices as string[]).length;
    expect(k).toBeGreaterThanOrEqual(10);
    expect(body.devices).toEqual(openedWith(k).held.map((t) => t.device_key));
    expect([incidentText(openedWith(k), 'ru'), incidentText(openedWith(k), 'en')]).toContain(fresh[0]?.text);
  }, 90_000);

  it('the release sends the held power-cycles once each, and the devices recover', async () => {
    expect(incident?.id).toBeDefined();
    const webhooksBefore = receiver.requests.length;
    const r = await stack.hub.api('POST', `/api/v1/incidents/${incident.id}/release`, {});
    expect(r.incident).toMatchObject({ id: incident.id, status: 'released' });
    expect(r.resumed).toBeGreaterThanOrEqual(50);

    const done = await until(
      async () => {
        const byJob = await executionsByJob(stack);
        const list = BURST.map((d) => byJob.get((seeded.get(d) as Seeded).jobId)?.[0]);
        return list.every((e) => e?.phase === 'done') ? (list as Json[]) : undefined;
      },
      80_000,
      'the 50 released executions done',
      500,
    );
    expect(harnessErrors).toEqual([]);
    for (const e of done) expect(e).toMatchObject({ outcome: 'recovered', incident_id: incident.id, escalated: false });
    for (const d of BURST) expect(messagesTo(stack, (seeded.get(d) as Seeded).phone).map((m) => m.text), `socket of ${d}`).toEqual([powerCycleText(1)]);
    // Nobody is notified again; the incident is closed.
    expect(messagesTo(stack, ON_CALL)).toHaveLength(onCallCount);
    expect(receiver.requests.slice(webhooksBefore)).toEqual([]);
    expect((await stack.hub.api('GET', '/api/v1/incidents?status=open')).items).toEqual([]);
    expect(await hubMetric(stack, 'gsmjobs_hub_incidents_open', { platform_id: PLATFORM })).toBe(0);
  }, 100_000);
});
