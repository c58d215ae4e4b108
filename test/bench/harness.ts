// The shape of a benchmark module: test/bench/<name>.bench.ts exports `default` as a Bench.
// Figures are measured here, never asserted in timed unit tests; each result names its target
// so the report says whether it was met.

export interface BenchResult {
  /** What was measured, e.g. "agent: cost per SMS (instant modem)". */
  name: string;
  value: number;
  unit: string;
  /** The goal from the issue, if any, and which way is better. */
  target?: { value: number; better: 'lower' | 'higher' };
  notes?: string;
}

export type Bench = () => Promise<BenchResult[]>;

export function met(r: BenchResult): boolean | undefined {
  if (!r.target) return undefined;
  return r.target.better === 'lower' ? r.value <= r.target.value : r.value >= r.target.value;
}

/** Resident set size now, in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Time an async function, in milliseconds. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
