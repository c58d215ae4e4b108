// Crash points for the SIGKILL crash matrix (test/agent/crash-matrix-*.int.test.ts). With
// GSMJOBS_CRASH_AGENT_POINT=<point> and GSMJOBS_CRASH_AGENT_JOB=<execution id> in the
// environment, the agent kills itself with SIGKILL at that instant for that execution, exactly
// as a power cut would: no handler runs, no buffer is flushed. Unset (production): a no-op.
//   after_accept       the job and its `accepted` update are durable; PUBACK not yet sent
//   after_prompt       the modem gave the `> ` prompt; the `try` is not yet written
//   after_try          the `try` is durable; the PDU bytes are not yet written
//   after_pdu_written  the PDU bytes were handed to the serial port; no answer yet
//   after_part         the modem's +CMGS answer (TP-MR) is durable
export const CRASH_POINTS = ['after_accept', 'after_prompt', 'after_try', 'after_pdu_written', 'after_part'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export type CrashHook = (point: CrashPoint, executionId: string) => void;

export const noCrash: CrashHook = () => undefined;

/** The crash hook the environment asks for (a no-op unless both variables are set). */
export function crashHookFromEnv(env: NodeJS.ProcessEnv, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): CrashHook {
  const point = env.GSMJOBS_CRASH_AGENT_POINT;
  const job = env.GSMJOBS_CRASH_AGENT_JOB;
  if (!point || !job) return noCrash;
  if (!(CRASH_POINTS as readonly string[]).includes(point)) throw new Error(`GSMJOBS_CRASH_AGENT_POINT=${point}: use one of ${CRASH_POINTS.join(', ')}`);
  return (p, id) => {
    if (p === point && id === job) kill();
  };
}
