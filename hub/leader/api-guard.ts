// Actions only the leading hub may take (issue 20): a manual trigger, cancelling an execution,
// releasing an incident change executions, whose one writer is the leader's engine. On a
// follower the API answers 503 `not_leader` (RU/EN) instead of writing outside the engine; the
// client retries, or its load balancer sends the request to another hub. Reads are unaffected.
import { ApiError } from '../api/errors.js';

export const notLeader = (): ApiError =>
  new ApiError(
    503,
    'not_leader',
    'this hub follows another one; only the leading hub triggers, cancels and releases: retry (another hub) / этот хаб ведомый; запускать, отменять и снимать удержание может только ведущий хаб: повторите запрос (на другом хабе)',
  );

/** `target` whose `methods` reject with `notLeader()` while `leading()` is false. */
export function leaderOnly<T extends object>(target: T, methods: ReadonlyArray<keyof T & string>, leading: () => boolean): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v: unknown = Reflect.get(t, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (!methods.includes(prop as keyof T & string)) return fn.bind(t);
      return (...args: unknown[]) => (leading() ? fn.apply(t, args) : Promise.reject(notLeader()));
    },
  });
}
