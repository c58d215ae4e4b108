// Calendar days in a time zone (issue 17: the fleet report counts days in the platform's zone,
// not UTC). Pure; IANA zone names, DST handled through Intl.
const DAY_MS = 86_400_000;

/** The hub server's zone: what a platform without a `time_zone` setting uses. */
export const SERVER_ZONE: string = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayFormat(zone: string): Intl.DateTimeFormat {
  let f = dayFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    dayFormats.set(zone, f);
  }
  return f;
}

/** The zone's wall-clock reading of instant `t`, as if it were UTC (ms). */
function wallClock(t: number, zone: string): number {
  const p = Object.fromEntries(dayFormat(zone).formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
}

/** The calendar day (yyyy-mm-dd) of instant `t` in `zone`. */
export function localDay(t: number, zone: string): string {
  return new Date(wallClock(t, zone)).toISOString().slice(0, 10);
}

/** The instant (ms) the day `day` (yyyy-mm-dd) begins in `zone` (its first existing minute on a DST day). */
export function dayStart(day: string, zone: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  // Offsets are found by reading the zone's clock near the guess; two rounds settle DST edges.
  let t = wall - (wallClock(wall, zone) - wall);
  t = wall - (wallClock(t, zone) - t);
  return localDay(t, zone) < day ? t + 3_600_000 : t;
}

/** The day after `day` (yyyy-mm-dd). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}
