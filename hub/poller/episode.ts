// The deterministic execution id of an episode (issue 15). A job fires at most once per episode;
// the execution id (= the wire id of the episode's first command, the id the agent
// de-duplicates by; later messages are `<execution>-<suffix>`, so they follow) is derived from
// the job and the episode, so even a hub that lost its record of a firing (a data directory
// restored from before it) produces the same id again, and the poller (an execution with that id
// exists: not fired again) or the agent (a job id it has seen: dropped) stops the repeat.
//
// The episode is named by the job's previous firing (`last_fired_at` of the runtime before this
// decision, null for the first): every firing moves it, so each episode has its own id, and it is
// durable before the decision is made, unlike the start of the condition (with `for_s: 0` the
// condition's start is the deciding cycle itself, so a lost record would re-decide with another
// start). Same shape as newId(): 25 characters [0-9a-z], no '-'.
import { createHash } from 'node:crypto';
import type { JobRuntime } from '../model/job.js';

/** The execution id of the episode a job fires now, from its runtime before the decision. */
export function episodeExecutionId(jobId: string, before: Pick<JobRuntime, 'last_fired_at'>): string {
  const digest = createHash('sha256').update(`gsmjobs episode\n${jobId}\n${before.last_fired_at ?? 'first'}`).digest('hex');
  return `e${digest.slice(0, 24)}`;
}
