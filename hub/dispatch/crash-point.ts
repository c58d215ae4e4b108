// Test-only crash points (issue 15): with GSMJOBS_CRASH_HUB_POINT set to one of CRASH_POINTS
// (and optionally GSMJOBS_CRASH_HUB_JOB to a job id), the hub SIGKILLs itself at exactly that
// instant of a firing (or of an API create), so the crash tests can restart it on the same data
// directory and count what reaches the modem (or the store). Unset (production), every call is a no-op. Never set these in a
// deployment: the process dies without cleaning up, by design.
import { writeSync } from 'node:fs';

export const CRASH_POINTS = [
  /** The poller decided to fire; nothing is recorded yet. */
  'after_decide',
  /** The executions and their jobs' firing state are written; nothing is started or published. */
  'after_store',
  /** The message is recorded as `created`; about to be published. */
  'before_publish',
  /** The broker acknowledged the job (PUBACK); the `dispatched` state is not written yet. */
  'after_publish',
  /**
   * Backup routes (issue 19): a message was moved to the next site of its route (hop, attempt,
   * accept_by written); about to publish it there (nor has the old site's cancel gone out).
   */
  'before_move_publish',
  /**
   * The API (issue 20): POST /jobs wrote the job and its Idempotency-Key record; the answer is
   * not sent yet (the client sees the connection die and retries under the same key).
   */
  'after_job_create',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Die here if the environment asks for this point (and job). */
export function crashPoint(point: CrashPoint, jobIds: Iterable<string>, env: NodeJS.ProcessEnv = process.env): void {
  const wanted = env.GSMJOBS_CRASH_HUB_POINT;
  if (wanted !== point) return;
  const job = env.GSMJOBS_CRASH_HUB_JOB;
  const hit = [...jobIds].find((id) => !job || id === job);
  if (hit === undefined) return;
  writeSync(2, `gsmjobs hub crash point ${point} job ${hit}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
