// ExtraCycleGate (issue 21): job changes coalesce into at most one extra cycle per poll interval.
import { describe, expect, it } from 'vitest';
import { ExtraCycleGate } from '../../hub/poller/coalesce.js';

const S = 1000;

describe('extra poll cycles for job changes', () => {
  it('the first change runs within a second; more in the same interval need none; the next is one interval after the last', () => {
    const g = new ExtraCycleGate(30 * S);
    // Regular cycles at 0, 30, 60 s.
    expect(g.request(100, 30 * S)).toBe(S); // extra at 1.1 s
    expect(g.request(500, 30 * S)).toBeNull(); // that one is still due
    expect(g.request(5 * S, 30 * S)).toBeNull(); // next allowed at 31.1 s: the regular 30 s comes first
    expect(g.request(29 * S, 30 * S)).toBeNull();
    // The regular cycle at 30 s is running (its next not yet moved): the change may predate it.
    expect(g.request(30.5 * S, 30 * S)).toBe(S); // extra at 31.5 s, 30.4 s after the last
    expect(g.request(40 * S, 60 * S)).toBeNull(); // next allowed at 61.5 s, after the regular 60 s
    expect(g.asked).toBe(2);
    expect(g.covered).toBe(4);
  });

  it('an import of 500 changes over 10 minutes costs at most one extra cycle per interval', () => {
    const interval = 30 * S;
    const g = new ExtraCycleGate(interval);
    const extras: number[] = [];
    for (let i = 0; i < 500; i++) {
      const now = i * 1200; // one change every 1.2 s
      const nextRegular = Math.ceil((now + 1) / interval) * interval;
      const d = g.request(now, nextRegular);
      if (d !== null) extras.push(now + d);
    }
    expect(extras.length).toBeGreaterThan(0);
    for (let i = 1; i < extras.length; i++) expect(extras[i]! - extras[i - 1]!).toBeGreaterThanOrEqual(interval);
    // 600 s of changes: 20 regular cycles and at most 20 extra ones (was one per change: 500).
    expect(extras.length).toBeLessThanOrEqual(20);
  });
});
