// The duplicate-job warning of the review step (issue 17): a job of the platform with the same
// device, the same conditions (metric, operator, value) and the same action is named, so four
// identical jobs for one device are no longer accepted without a word.
import type { Job, JobInput } from '../model/job.js';
import { qs, type ApiCall } from './api-client.js';

/** JSON with sorted keys, to compare values whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

const conditionsOf = (c: ReadonlyArray<{ metric: string; op: string; value: number }> | undefined) =>
  canonical((c ?? []).map((x) => ({ metric: x.metric, op: x.op, value: x.value })).sort((a, b) => canonical(a).localeCompare(canonical(b))));

/** What a job does, without defaults that do not change the action (expiry). */
const actionOf = (steps: unknown): string =>
  canonical(
    ((steps ?? []) as Array<Record<string, unknown>>).map((s) => {
      const { expires_s: _e, ...rest } = s;
      return rest;
    }),
  );

/** The first other job doing the same thing on the same device, or null. */
export async function findDuplicate(api: ApiCall, input: JobInput, editId: string | null): Promise<Job | null> {
  const device = input.device;
  if (!device?.key) return null;
  const r = await api<{ items: Job[] }>('GET', `/jobs${qs({ key: device.key, limit: 200 })}`);
  if (!r.ok) return null;
  const conds = conditionsOf(input.conditions as Job['conditions']);
  const action = actionOf(input.steps);
  return r.data.items.find((j) => j.id !== editId && j.device.key === device.key && j.device.key_type === device.key_type && conditionsOf(j.conditions) === conds && actionOf(j.steps) === action) ?? null;
}
