// Pure condition evaluation: operators, AND/OR with three-valued logic (true, false, no data).
import type { Condition, Operator } from '../model/job.js';

/** Value of each metric for one device; absent or NaN means no data. */
export type Sample = ReadonlyMap<string, number>;

export function compare(value: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** true / false, or undefined when the metric has no data. */
export function evalCondition(c: Condition, sample: Sample): boolean | undefined {
  const v = sample.get(c.metric);
  if (v === undefined || Number.isNaN(v)) return undefined;
  return compare(v, c.op, c.value);
}

/**
 * AND: false if any is false, true if all are true, else no data.
 * OR: true if any is true, false if all are false, else no data.
 */
export function evalConditions(conditions: readonly Condition[], combine: 'and' | 'or', sample: Sample): boolean | undefined {
  let unknown = false;
  for (const c of conditions) {
    const r = evalCondition(c, sample);
    if (r === undefined) unknown = true;
    else if (combine === 'and' && !r) return false;
    else if (combine === 'or' && r) return true;
  }
  if (unknown) return undefined;
  return combine === 'and';
}
