// Agent crash matrix, first half (issue 15): SIGKILL before anything reached the modem. After
// accepting, before the prompt and after the prompt (the `try` not yet durable), a restarted
// agent sends the job exactly once and never calls it uncertain. After the `try` is durable and
// before the PDU bytes are written (a window of a few microseconds in real life, hit here by the
// agent's own crash hook) nothing reached the modem, but the agent cannot know that: the job is
// reported `uncertain`, never resent, and the matrix counts it as uncertain without PDU.
// The other half (crash-matrix-b) runs in parallel; together they write
// test-artifacts/crash-matrix-agent.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, type Rig, runPoint, startRig, stopRig, writeMatrix } from './support/crash-matrix.js';

const KILLS = Number(process.env.GSMJOBS_CRASH_KILLS ?? 10);
let rig: Rig | undefined;
const rows: MatrixRow[] = [];

beforeAll(async () => {
  rig = await startRig('a');
}, 60_000);

afterAll(async () => {
  if (rows.length) writeMatrix('a', rows);
  await stopRig(rig);
});

describe('agent SIGKILLed before the PDU reached the modem', () => {
  for (const point of ['after_accept', 'before_prompt', 'after_prompt'] as const) {
    it(`${point}: sent exactly once after the restart, never uncertain`, async () => {
      const row = await runPoint(rig as Rig, point, KILLS);
      rows.push(row);
      expect(row).toMatchObject({ kills: KILLS, lost: 0, duplicated: 0, uncertain: 0, sent_ok: KILLS });
    }, 240_000);
  }

  it('after_try: the one window where uncertain has no PDU behind it; reported, never resent', async () => {
    const row = await runPoint(rig as Rig, 'after_try', KILLS);
    rows.push(row);
    expect(row).toMatchObject({ kills: KILLS, lost: 0, duplicated: 0, uncertain: KILLS, uncertain_without_pdu: KILLS, sent_ok: 0 });
  }, 240_000);
});
