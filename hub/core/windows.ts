// Pure time-window check: is a moment inside any of a job's active ranges, in its time zone?
import type { TimeWindows } from '../model/job.js';

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

/** ISO weekday (1 = Monday) and minute of the day of `ms` in time zone `tz`. */
export function localTime(ms: number, tz: string): { day: number; minute: number } {
  let day = 1;
  let hour = 0;
  let minute = 0;
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type === 'weekday') day = WEEKDAYS[p.value] ?? 1;
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** No windows means always active. A range from > to crosses midnight into the next day. */
export function inWindows(windows: TimeWindows | null, ms: number): boolean {
  if (!windows) return true;
  const { day, minute } = localTime(ms, windows.tz);
  const prevDay = day === 1 ? 7 : day - 1;
  return windows.ranges.some((r) => {
    const from = toMinutes(r.from);
    const to = toMinutes(r.to);
    if (from === to) return r.days.includes(day);
    if (from < to) return r.days.includes(day) && minute >= from && minute < to;
    return (r.days.includes(day) && minute >= from) || (r.days.includes(prevDay) && minute < to);
  });
}
