// Agent crash matrix, second half (issue 15): SIGKILL once the PDU has left. With the PDU
// bytes handed to the port, or the modem holding its +CMGS answer, the restarted agent reports
// `uncertain` (the PDU is at the modem: it may have gone out) and never sends it again. After
// the +CMGS answer is durable the job is `sent`, once. Runs in parallel with crash-matrix-a.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, type Rig, runPoint, startRig, stopRig, writeMatrix } from './support/crash-matrix.js';

const KILLS = Number(process.env.GSMJOBS_CRASH_KILLS ?? 10);
let rig: Rig | undefined;
const rows: MatrixRow[] = [];

beforeAll(async () => {
  rig = await startRig('b');
}, 60_000);

afterAll(async () => {
  if (rows.length) writeMatrix('b', rows);
  await stopRig(rig);
});

describe('agent SIGKILLed after the PDU left', () => {
  for (const point of ['after_pdu_written', 'after_pdu'] as const) {
    it(`${point}: uncertain, with the PDU at the modem exactly once, never resent`, async () => {
      const row = await runPoint(rig as Rig, point, KILLS);
      rows.push(row);
      expect(row).toMatchObject({ kills: KILLS, lost: 0, duplicated: 0, uncertain: KILLS, uncertain_with_pdu: KILLS, uncertain_without_pdu: 0 });
    }, 240_000);
  }

  it('after_cmgs: the answer is durable; sent exactly once, not uncertain', async () => {
    const row = await runPoint(rig as Rig, 'after_cmgs', KILLS);
    rows.push(row);
    expect(row).toMatchObject({ kills: KILLS, lost: 0, duplicated: 0, uncertain: 0, sent_ok: KILLS });
  }, 240_000);
});
