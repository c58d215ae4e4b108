// Property test of the reducer under random events, holds and restarts (issue 10: "restarts in
// every state ... without re-sending what was sent"): a seeded PRNG drives 300 random runs; after
// every event the state survives a JSON round trip, and no acknowledged key is ever emitted again.
import { describe, expect, it } from 'vitest';
import { reduce } from '../../../hub/remediation/reducer.js';
import { runState, type Effect, type RunEvent, type RunState } from '../../../hub/remediation/run.js';
import { d210Playbook, newRun, S, T0 } from './fixtures.js';

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randomEvent(s: RunState, rand: () => number, outstanding: string[]): RunEvent {
  const r = rand();
  if (r < 0.2 && outstanding.length > 0) return { type: 'ack', key: outstanding[Math.floor(rand() * outstanding.length)] as string };
  if (r < 0.35) return { type: 'send_result', step: s.idx, state: rand() < 0.8 ? 'sent' : 'failed', ok: true };
  if (r < 0.55) return { type: 'sample', holds: rand() < 0.15 ? true : rand() < 0.5 ? false : undefined, data_at: 0 };
  if (r < 0.8) return { type: 'tick' };
  if (r < 0.87) return { type: 'restart' };
  if (r < 0.92) return { type: 'hold', incident_id: 'inc' };
  if (r < 0.98) return { type: 'release', by: 'ops' };
  return { type: 'cancel', by: 'ops' };
}

describe('reducer under random events', () => {
  it('never re-emits an acknowledged key, always serializes, always ends', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed);
      let s = newRun(d210Playbook(), `ex${seed}`, seed % 3 === 0 ? 20 * S : 0);
      let now = T0;
      const outstanding = new Set<string>();
      const acked = new Set<string>();
      const sentKeys = new Set<string>();
      let r = reduce(s, { type: 'start', ...(seed % 17 === 0 ? { escalate: 'limit' } : {}) }, now);
      for (let i = 0; i < 400 && r.state.phase !== 'done'; i++) {
        for (const e of r.effects as Effect[]) {
          if ('key' in e) {
            expect(acked.has(e.key), `seed ${seed}: ${e.key} re-emitted after its ack`).toBe(false);
            outstanding.add(e.key);
            if (e.type === 'dispatch_sms') sentKeys.add(e.key);
          }
        }
        s = runState.parse(JSON.parse(JSON.stringify(r.state)));
        now += Math.floor(rand() * 90 * S);
        const ev = randomEvent(s, rand, [...outstanding]);
        if (ev.type === 'sample') ev.data_at = now;
        if (ev.type === 'ack' && s.pending.includes(ev.key)) {
          outstanding.delete(ev.key);
          acked.add(ev.key);
        }
        r = reduce(s, ev, now);
        expect(r.state.timeline.length).toBeGreaterThanOrEqual(s.timeline.length);
      }
      // Drive to the end with acks and ticks only: every run finishes (no state is a dead end).
      for (let i = 0; i < 200 && r.state.phase !== 'done'; i++) {
        now += 10 * 60 * S;
        s = r.state;
        const ev: RunEvent = s.phase === 'held' ? { type: 'release', by: 'ops' } : s.pending[0] ? { type: 'ack', key: s.pending[0] } : s.phase === 'armed' ? { type: 'start' } : { type: 'tick' };
        r = reduce(s, ev, now);
      }
      expect(r.state.phase, `seed ${seed}`).toBe('done');
      expect(r.state.timeline.at(-1)?.state).toBe('finished');
      // Escalated runs never sent a command.
      if (seed % 17 === 0) expect(sentKeys.size).toBe(0);
    }
  });
});
