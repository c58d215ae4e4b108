// Checks shared by the end-to-end tests: what the modem received, what the hub recorded.
import { expect } from 'vitest';
import { addJob, executions, partsOf, PHONE, type SimSms, type Stack } from '../stack.js';
import { until } from './child.js';

/**
 * The modem received the text exactly once: its parts decode back to exactly the text, in
 * order, one concatenation reference, each part once [TS 23.040 9.2.3.24.1], to the device.
 */
export function expectSentOnce(stack: Stack, text: string, expectedParts = 2): SimSms[] {
  const parts = partsOf(stack, text);
  expect(parts.map((p) => p.text), JSON.stringify(stack.modem.sms(), null, 1)).toHaveLength(expectedParts);
  expect(parts.map((p) => p.text).join('')).toBe(text);
  for (const p of parts) expect(p.to).toBe(PHONE);
  if (expectedParts > 1) {
    expect(parts.map((p) => p.encoding)).toEqual(parts.map(() => 'ucs2'));
    expect(new Set(parts.map((p) => p.concat?.ref)).size).toBe(1);
    expect(parts.map((p) => [p.concat?.seq, p.concat?.total])).toEqual(parts.map((_, i) => [i + 1, expectedParts]));
  }
  return parts;
}

/** Wait until the job has an execution in one of the states; returns it. */
export async function waitExecution(stack: Stack, jobId: string, states: string[], timeoutMs: number): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return until(
    async () => {
      const list = await executions(stack, jobId);
      return list.find((e) => states.includes(e.state as string));
    },
    timeoutMs,
    `an execution of ${jobId} in ${states.join('/')}`,
    100,
  );
}

/** Wait until the modem log holds at least n parts of the text. */
export async function waitParts(stack: Stack, text: string, n: number, timeoutMs: number): Promise<SimSms[]> {
  return until(() => {
    const p = partsOf(stack, text);
    return p.length >= n ? p : undefined;
  }, timeoutMs, `${n} part(s) of "${text.slice(0, 30)}..." at the modem`, 25);
}

/**
 * The agent SIGKILLed while its modem holds the first part of a new job's text unanswered (it may
 * or may not have left), then restarted with the modem answering again: the situation in which
 * the message must end `uncertain`, never sent twice. Returns the job's id and text.
 */
export async function killWithPartInFlight(stack: Stack, device: string, what: string, partTimeoutMs: number): Promise<{ jobId: string; text: string }> {
  const text = scenarioText(device, what);
  const jobId = await addJob(stack, device, text);
  stack.modem.control('hang');
  await stack.sim.setOnline(device, false);
  await waitParts(stack, text, 1, partTimeoutMs);
  stack.agent.child.kill('SIGKILL');
  await stack.agent.child.exited;
  stack.modem.control('silent off');
  await stack.agent.start();
  return { jobId, text };
}

/** Russian texts of 2 parts, each part unique per scenario (the device number is in both). */
export function scenarioText(device: string, what: string): string {
  const t = `Экран ${device} не в сети (${what}). Выключите розетку на минуту, включите её и проверьте экран ${device}.`;
  if (t.length <= 70 || t.length > 134) throw new Error(`scenario text must take 2 UCS2 parts, has ${t.length} characters`);
  return t;
}

export const E2E_LOG = process.env.E2E_LOG ? (n: string, l: string) => process.stderr.write(`[${n}] ${l}\n`) : undefined;
