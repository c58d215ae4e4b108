// The per-job state machine, pure: given the persisted runtime, whether the conditions hold now
// (true / false / undefined = no data) and the time, it returns the next runtime and whether to
// fire. Semantics:
//   - `for`: the condition must hold without interruption for for_s before the job fires.
//   - Edge-triggered: one execution per episode; `firing` lasts while the condition holds and
//     never re-fires, so a restart (runtime persisted) does not fire again.
//   - Cooldown: no execution within cooldown_s of the last one; a new episode in that time waits
//     in `cooldown` and fires when it ends if the condition still holds (and `for` is met).
//   - Time windows: outside them nothing fires; a due job waits in `pending`.
//   - No data: a gap shorter than no_data.after_s changes nothing (hysteresis); a longer one puts
//     the job in `no_data` and, with mode `fire`, fires once per outage. When data returns, an
//     outage that fired continues as `firing` if the condition holds (same episode).
import type { Job, JobRuntime, JobState } from '../model/job.js';
import { inWindows } from './windows.js';

export type FireReason = 'condition' | 'no_data';
export type MachineJob = Pick<Job, 'for_s' | 'no_data' | 'windows' | 'cooldown_s'>;

export interface StepResult {
  rt: JobRuntime;
  fire: FireReason | null;
}

function enter(rt: JobRuntime, state: JobState, now: number): JobRuntime {
  return rt.state === state ? rt : { ...rt, state, since: now };
}

export function advance(job: MachineJob, prev: JobRuntime, holds: boolean | undefined, now: number): StepResult {
  const cooling = prev.last_fired_at !== null && now < prev.last_fired_at + job.cooldown_s * 1000;
  const active = inWindows(job.windows, now);

  if (holds === undefined) {
    const gapStart = prev.data_at ?? prev.since;
    if (prev.state !== 'no_data' && now - gapStart < job.no_data.after_s * 1000) return { rt: prev, fire: null };
    let rt = enter({ ...prev, cond_since: null }, 'no_data', now);
    if (job.no_data.mode === 'fire' && !rt.nodata_fired && active && !cooling) {
      rt = { ...rt, nodata_fired: true, last_fired_at: now };
      return { rt, fire: 'no_data' };
    }
    return { rt, fire: null };
  }

  let rt: JobRuntime = { ...prev, data_at: now };
  if (prev.state === 'no_data') {
    const continues = holds && prev.nodata_fired;
    rt = { ...rt, nodata_fired: false, cond_since: continues ? now : null };
    if (continues) return { rt: enter(rt, 'firing', now), fire: null };
  }
  if (!holds) return { rt: enter({ ...rt, cond_since: null, seen_ok: true }, cooling ? 'cooldown' : 'ok', now), fire: null };
  if (rt.state === 'firing') return { rt, fire: null };
  const condSince = rt.cond_since ?? now;
  rt = { ...rt, cond_since: condSince };
  if (now - condSince >= job.for_s * 1000 && active && !cooling) {
    return { rt: enter({ ...rt, last_fired_at: now }, 'firing', now), fire: 'condition' };
  }
  return { rt: enter(rt, cooling ? 'cooldown' : 'pending', now), fire: null };
}

/** Whether two runtimes differ in anything but the last-data time (what is worth persisting). */
export function significantChange(a: JobRuntime, b: JobRuntime): boolean {
  return (
    a.state !== b.state ||
    a.since !== b.since ||
    a.cond_since !== b.cond_since ||
    a.last_fired_at !== b.last_fired_at ||
    a.last_execution_id !== b.last_execution_id ||
    a.nodata_fired !== b.nodata_fired ||
    a.seen_ok !== b.seen_ok
  );
}
