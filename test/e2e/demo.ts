// `npm run demo`: the whole system on this machine, with a simulated signage platform and a
// simulated GSM modem: AddReality simulator -> exporter -> real Prometheus -> hub (embedded MQTT
// broker) -> agent -> modem simulator on a pty pair. Prints where to look, streams every SMS the
// modem "sends" (decoded), and stops everything on Ctrl-C.
//
// Options: --poll <s> (hub poll interval, default 10; production default 30), --scrape <s>
// (Prometheus scrape interval and exporter refresh, default 5). Environment: DEMO_POLL_S,
// DEMO_SCRAPE_S, DEMO_LOG=1 (every program's log lines).
import { parseArgs } from 'node:util';
import { addJob, DEVICE, type EventListener, JOB_TEXT, PHONE, type SimSms, type Stack, startStack } from './stack.js';

const { values } = parseArgs({ options: { poll: { type: 'string' }, scrape: { type: 'string' } } });
const pollS = Number(values.poll ?? process.env.DEMO_POLL_S ?? 10);
const scrapeS = Number(values.scrape ?? process.env.DEMO_SCRAPE_S ?? 5);
if (!(pollS >= 1 && scrapeS >= 1)) {
  console.error('demo: --poll and --scrape take a number of seconds >= 1');
  process.exit(2);
}
/** The second demo job: Russian free text, two SMS parts. */
const TEXT_DEVICE = '30002';
const TEXT_JOB = JOB_TEXT.replace(DEVICE, TEXT_DEVICE);
/** The third: "power-cycle and verify" (issue 10) through its own socket; the player "reboots". */
const PC_DEVICE = '30003';
const PC_PHONE = '+79161234503';
const ON_CALL = '+79160000911';
/** Seconds the simulated player takes to come back after its socket got the command. */
const REBOOT_S = 5;
let onSocketSms: ((s: SimSms) => void) | null = null;

const say = (line = '') => process.stdout.write(`${line}\n`);
const time = () => new Date().toISOString().slice(11, 19);

function smsLine(s: SimSms): string {
  const part = s.concat ? ` (part ${s.concat.seq}/${s.concat.total})` : '';
  return `${time()}  SMS -> ${s.to}${part}: ${JSON.stringify(s.text)}  [${s.encoding}, TP-MR ${s.mr}]`;
}

let stack: Stack | undefined;
/** Set once the event listener is up (shutdown may come before). */
const running: { events?: EventListener } = {};
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`\n${signal}: stopping everything / останавливаю всё ...`);
  // Still starting: the start-up below sees the flag and stops what it started.
  if (!stack) return;
  const force = setTimeout(() => {
    console.error('demo: stop took too long, exiting');
    process.exit(1);
  }, 40_000);
  try {
    await running.events?.close();
    await stack.stop();
    say('demo stopped / демо остановлено');
    clearTimeout(force);
    process.exit(0);
  } catch (err) {
    console.error(`demo: stop failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

say(`gsmjobs demo: starting the simulator, exporter, Prometheus, hub and agent (poll ${pollS} s, scrape ${scrapeS} s) ...`);
say('gsmjobs демо: запускаю симулятор, экспортер, Prometheus, хаб и агента ...');
try {
  stack = await startStack({
    broker: 'embedded',
    pollIntervalS: pollS,
    scrapeIntervalS: scrapeS,
    exporterRefreshS: scrapeS,
    statusReportMs: 1500,
    command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } },
    onSms: (s) => {
      say(smsLine(s));
      onSocketSms?.(s);
    },
    ...(process.env.DEMO_LOG ? { onLine: (n: string, l: string) => say(`[${n}] ${l}`) } : {}),
  });
} catch (err) {
  console.error(`demo: could not start: ${(err as Error).message}`);
  console.error('Is everything installed? Run: bash .ci/setup   /   Всё ли установлено? Запустите: bash .ci/setup');
  process.exit(1);
}
const s = stack;
if (stopping) {
  stopping = false;
  await shutdown('SIGINT');
}
await addJob(s, TEXT_DEVICE, TEXT_JOB);
await seedPlaybook(s);
running.events = await s.listenEvents((e) => {
  if (!e.topic.endsWith('/execution')) return;
  const b = e.body;
  const step = b.step_state ? ` step ${String(b.step ?? '-')} ${String(b.step_type ?? '')} ${String(b.step_state)}` : '';
  const outcome = b.outcome ? ` outcome ${String(b.outcome)}${b.ttr_s !== undefined ? ` (time to recovery ${String(b.ttr_s)} s)` : ''}` : '';
  say(`${time()}  execution ${String(b.execution_id)} (${String(b.job_name)}): ${String(b.state)}${step}${outcome}${b.escalated ? ' escalated' : ''}`);
});

/**
 * Device 30003: its own SimPal D210 socket and the "power-cycle and verify" template (waits
 * shortened for the demo), on-call number for the escalation; when the modem sends the socket
 * its command, the simulated player comes back online a few seconds later.
 */
async function seedPlaybook(st: Stack): Promise<void> {
  const api = st.hub.api;
  await api('PUT', '/api/v1/remediation/settings', { on_call: [{ name: 'Дежурный / on duty', phone: ON_CALL }], notify_site_id: 'lab' });
  const cd = await api('POST', '/api/v1/control-devices', { name: `Розетка ${PC_DEVICE} / socket ${PC_DEVICE}`, phone: PC_PHONE, model: 'SIMPAL_D210', site_ids: ['lab'] });
  const tpl = await api('POST', '/api/v1/playbooks/templates/power-cycle', { model: 'SIMPAL_D210', site_id: 'lab', control_device_id: cd.id, notify: { sms: { site_id: 'lab', to: 'on_call' }, webhooks: [] }, lang: 'ru' });
  const steps = (tpl.steps as Array<Record<string, unknown>>).map((x) => (x.type === 'wait' ? { ...x, duration_s: 10 } : x.type === 'verify' ? { ...x, within_s: 120 } : x));
  await api('POST', '/api/v1/jobs', { device: { key_type: 'device_id', key: PC_DEVICE, name: `player ${PC_DEVICE}` }, conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }], cooldown_s: 600, steps });
  onSocketSms = (sms) => {
    if (sms.to !== PC_PHONE || !sms.text.startsWith('#12#0#')) return;
    say(`${time()}  player ${PC_DEVICE} is rebooting, back in ${REBOOT_S} s / плеер перезагружается`);
    setTimeout(() => void st.sim.setOnline(PC_DEVICE, true).catch(() => undefined), REBOOT_S * 1000).unref();
  };
}
// The web form, when hub/main.ts mounts it, answers / (a redirect to its sign-in page).
const webForm = await fetch(`${s.hub.url}/`).then((r) => r.ok && (r.headers.get('content-type') ?? '').includes('html'), () => false);
const latency = `${pollS + 2 * scrapeS} s`;

say(`
================================================================================
 gsmjobs demo is running / демо работает

 Hub / хаб:                ${s.hub.url}${webForm ? '/   (web form: sign in with the token / веб-форма: вход по токену)' : '/api/v1   (API; OpenAPI at /api/v1/openapi.json)'}
 Sign-in token / токен:    ${s.seed.token}
 Simulator page / страница симулятора:  ${s.sim.url}/_sim/ui
 Prometheus:               ${s.prometheus.url}
 Agent metrics / метрики агента:        ${s.agent.metricsUrl}

 Jobs / задания (platform "demo", site "lab", socket SimPal D210 ${PHONE}):
   device ${DEVICE} offline -> power-cycle command "#12#0#1#1#" (power off for 1 minute)
   device ${TEXT_DEVICE} offline -> Russian free text (2 SMS parts)
   device ${PC_DEVICE} offline -> playbook "power-cycle and verify" through socket ${PC_PHONE}:
     power off 1 min, wait, verify it is online; if not: power off 5 min, verify; then SMS to
     the on-call number ${ON_CALL}. The simulated player comes back ${REBOOT_S} s after its
     socket's SMS, so the execution ends "recovered" with its time to recovery.

 EN: open the simulator page and press "offline" next to device ${DEVICE} or ${TEXT_DEVICE}.
     Within about ${latency} (poll ${pollS} s + exporter refresh and Prometheus scrape ${scrapeS} s each)
     the hub fires the job and the simulated modem prints the SMS below.
     Web form: incidents, fleet report, remediation settings (on-call list, webhooks, budgets).
     Or from a shell:
       curl -X POST -H 'content-type: application/json' -d '{"connection_state":"offline"}' ${s.sim.url}/_sim/devices/${DEVICE}
     API: curl -H 'Authorization: Bearer ${s.seed.token}' ${s.hub.url}/api/v1/executions
 RU: откройте страницу симулятора и нажмите «offline» у устройства ${DEVICE} или ${TEXT_DEVICE}.
     Примерно через ${latency} хаб сработает, и симулятор модема покажет SMS ниже.
     Ctrl-C останавливает всё.

 Ctrl-C stops everything.
================================================================================`);
say(`demo ready: hub ${s.hub.url} sim ${s.sim.url} dir ${s.dir} pids ${s.pids().join(',')}`);
say('Waiting for SMS ... / Жду SMS ...');
