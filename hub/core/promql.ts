// Building PromQL safely: metric names are validated by the schema, label values are escaped,
// and every selector carries the caller platform's platform_id matcher first.

/** Escape a string for a PromQL double-quoted label value. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** `metric{platform_id="p", ...}`; throws on a malformed metric or label name. */
export function selector(platformId: string, metric: string | null, extra: readonly Matcher[] = []): string {
  if (metric !== null && !METRIC.test(metric)) throw new Error(`invalid metric name ${JSON.stringify(metric)}`);
  const matchers = [{ label: 'platform_id', op: '=', value: platformId } as Matcher, ...extra].map((m) => {
    if (!LABEL.test(m.label)) throw new Error(`invalid label name ${JSON.stringify(m.label)}`);
    return `${m.label}${m.op}"${escapeLabelValue(m.value)}"`;
  });
  return `${metric ?? ''}{${matchers.join(',')}}`;
}

/** Escape regex metacharacters so a value matches literally inside =~. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
