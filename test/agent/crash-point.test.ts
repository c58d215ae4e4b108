// The crash hook of the SIGKILL matrix fires only at the named point for the named execution,
// is a no-op without both variables, and refuses an unknown point.
import { describe, expect, it } from 'vitest';
import { crashHookFromEnv } from '../../agent/outbox/crash-point.js';

describe('crashHookFromEnv', () => {
  it('kills only at the named point for the named execution', () => {
    const kills: string[] = [];
    const hook = crashHookFromEnv({ GSMJOBS_CRASH_AGENT_POINT: 'after_try', GSMJOBS_CRASH_AGENT_JOB: 'e-1' }, () => kills.push('kill'));
    hook('after_prompt', 'e-1');
    hook('after_try', 'e-2');
    expect(kills).toEqual([]);
    hook('after_try', 'e-1');
    expect(kills).toEqual(['kill']);
  });

  it('is a no-op unless both are set, and names the points on a typo', () => {
    const kills: string[] = [];
    crashHookFromEnv({ GSMJOBS_CRASH_AGENT_POINT: 'after_try' }, () => kills.push('kill'))('after_try', 'e-1');
    expect(kills).toEqual([]);
    expect(() => crashHookFromEnv({ GSMJOBS_CRASH_AGENT_POINT: 'after_tyr', GSMJOBS_CRASH_AGENT_JOB: 'x' })).toThrow(/use one of after_accept, after_prompt, after_try/);
  });
});
