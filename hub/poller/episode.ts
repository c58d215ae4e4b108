// The deterministic execution id of an episode (issue 15). A job fires at most once per episode;
// the execution id (= the wire id of the episode's first command, the id the agent
// de-duplicates by; later messages are `<execution>-<suffix>`, so they follow) is derived from
// the job and the episode, so even a hub that lost its record of a firing (a data directory
// restored from before it) produces the same id again, and the poller (an execution with that id
// exists: not fired again) or the agent (a job id it has seen: dropped) stops the repeat.
//
// An episode is named by the one before it: the ids form a chain per job, each the hash of the
// job and the previous firing's execution id, the runtime's `last_execution_id`. An edit of what
// the job watches, or an enable, resets the runtime (and bumps the job's `updated_at`); the chain
// then continues from the job's latest fired execution created before that change, or starts
// from `first <updated_at>`. So a reset never names a new episode like an old one, and a lost
// record (the runtime without the firing, the execution kept or not) names it the same again.
// Everything it uses is durable before the decision, unlike the start of the condition (with
// `for_s: 0` that is the deciding cycle itself). Same shape as newId(): 25 characters [0-9a-z].
import { createHash } from 'node:crypto';
import type { Execution } from '../model/execution.js';
import type { Job, JobRuntime } from '../model/job.js';

/** What names the next episode of a job: its previous firing (see above). */
export function episodeAnchor(job: Pick<Job, 'id' | 'updated_at'>, before: Pick<JobRuntime, 'last_execution_id'>, executions: () => readonly Execution[]): string {
  if (before.last_execution_id) return before.last_execution_id;
  let latest: Execution | null = null;
  for (const e of executions()) {
    if (e.job_id !== job.id || (e.trigger.reason !== 'condition' && e.trigger.reason !== 'no_data') || e.created_at >= job.updated_at) continue;
    if (!latest || e.created_at > latest.created_at || (e.created_at === latest.created_at && e.id > latest.id)) latest = e;
  }
  return latest ? latest.id : `first ${job.updated_at}`;
}

export function episodeExecutionId(jobId: string, anchor: string): string {
  const digest = createHash('sha256').update(`gsmjobs episode\n${jobId}\n${anchor}`).digest('hex');
  return `e${digest.slice(0, 24)}`;
}
