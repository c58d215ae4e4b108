// Faults on the delivery path, in the full setup (real Mosquitto with passwords + ACL, real
// Prometheus, exporter, hub, agent over a pty modem): the broker restarts mid-dispatch or is
// down when the job fires; the agent is killed with SIGKILL between taking a job and sending
// it, and while the modem holds a part without answering. Each scenario watches its own device
// and ends with nothing lost and nothing sent twice, checked from the modem's SMS log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJob, type EventListener, executions, partsOf, SITE, type Stack, startStack } from './stack.js';
import { E2E_LOG, expectSentOnce, killWithPartInFlight, scenarioText, waitExecution, waitParts } from './support/checks.js';
import { sleep, until } from './support/child.js';

let stack: Stack;
let events: EventListener;

beforeAll(async () => {
  stack = await startStack({ broker: 'mosquitto', pollIntervalS: 2, scrapeIntervalS: 1, exporterRefreshS: 1, ...(E2E_LOG ? { onLine: E2E_LOG } : {}) });
  events = await stack.listenEvents();
}, 150_000);

afterAll(async () => {
  await events?.close();
  await stack?.stop();
}, 60_000);

const deliveredEvent = (id: string) => events.events.some((e) => e.topic.endsWith('/execution') && e.body.execution_id === id && e.body.state === 'delivered');

describe('the broker restarts', () => {
  it('mid-dispatch (parts at the modem, updates in flight): delivered once, the events arrive', async () => {
    const text = scenarioText('30002', 'брокер перезапущен');
    const jobId = await addJob(stack, '30002', text);
    await stack.sim.setOnline('30002', false);
    await waitParts(stack, text, 1, 20_000);
    // The sent / delivered updates and the hub's events travel while the broker is away.
    await stack.broker?.restart(1500);
    const exec = await waitExecution(stack, jobId, ['delivered'], 30_000);
    await until(() => deliveredEvent(exec.id as string), 15_000, 'delivered event after the restart').catch((e: unknown) => { throw new Error(`${(e as Error).message}: ${JSON.stringify(events.events.map((x) => [x.topic, x.body.state, x.body.execution_id]))}`); });
    expectSentOnce(stack, text);
    expect(await executions(stack, jobId)).toHaveLength(1);
  }, 60_000);

  it('down when the job fires: dispatched after it returns, delivered once', async () => {
    const text = scenarioText('30003', 'брокер недоступен');
    const jobId = await addJob(stack, '30003', text);
    const restart = stack.broker?.restart(6000);
    await sleep(300);
    await stack.sim.setOnline('30003', false);
    // The hub records the execution while the broker is down.
    await waitExecution(stack, jobId, ['created', 'dispatched'], 10_000);
    expect(partsOf(stack, text)).toHaveLength(0);
    await restart;
    const exec = await waitExecution(stack, jobId, ['delivered'], 40_000);
    await until(() => deliveredEvent(exec.id as string), 15_000, 'delivered event');
    expectSentOnce(stack, text);
    expect(await executions(stack, jobId)).toHaveLength(1);
  }, 70_000);
});

describe('the agent is killed with SIGKILL', () => {
  it('after taking the job and before sending it (modem not answering): sends it once after the restart', async () => {
    const text = scenarioText('30004', 'агент убит');
    const jobId = await addJob(stack, '30004', text);
    stack.modem.control('silent on');
    await until(async () => (await stack.hub.api('GET', `/api/v1/sites/${SITE}`)).status?.modem?.state !== 'up', 20_000, 'the agent reports its modem down');
    await stack.sim.setOnline('30004', false);
    // On the agent's disk and acknowledged, not at the modem.
    await waitExecution(stack, jobId, ['accepted'], 20_000);
    await sleep(500);
    expect(partsOf(stack, text)).toHaveLength(0);
    stack.agent.child.kill('SIGKILL');
    expect(await stack.agent.child.exited).toBe('SIGKILL');
    stack.modem.control('silent off');
    await stack.agent.start();
    const exec = await waitExecution(stack, jobId, ['delivered'], 40_000);
    expectSentOnce(stack, text);
    expect(exec.messages[0].message_refs).toHaveLength(2);
    expect(await executions(stack, jobId)).toHaveLength(1);
  }, 80_000);

  it('while the modem holds the first part unanswered: not sent again after the restart, reported uncertain', async () => {
    await stack.agent.waitOnline();
    const { jobId, text } = await killWithPartInFlight(stack, '30005', 'модем завис', 20_000);
    const exec = await waitExecution(stack, jobId, ['uncertain'], 40_000);
    await sleep(3000);
    // Nobody can know whether the held part went out: it is not sent twice.
    expect(partsOf(stack, text)).toHaveLength(1);
    expect(exec.state).toBe('uncertain');
    expect(await executions(stack, jobId)).toHaveLength(1);
  }, 80_000);
});
