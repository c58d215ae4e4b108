// Modem uptime marks per site (issue 10 fleet report), stored by the hub: when the hub saw a
// site's modem turn up or down, and the share of a range it was up. Pure; times in epoch ms.
/** A site's modem turning up or down (agent online with its modem `up` = up), as the hub saw it. */
export interface UptimeMark {
  at: number;
  up: boolean;
}

/**
 * Share of [from, to) the modem was up, from its marks (sorted by time). Before the first mark
 * the state is unknown and does not count; null when nothing of the range is known.
 */
export function uptimeShare(marks: readonly UptimeMark[], from: number, to: number): number | null {
  let known = 0;
  let up = 0;
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i] as UptimeMark;
    const start = Math.max(m.at, from);
    const end = Math.min(marks[i + 1]?.at ?? to, to);
    if (end <= start) continue;
    known += end - start;
    if (m.up) up += end - start;
  }
  return known > 0 ? up / known : null;
}

/** Append a mark when the state changes; keeps the newest `max`. */
export function markUptime(marks: readonly UptimeMark[], at: number, up: boolean, max = 1000): UptimeMark[] {
  const last = marks[marks.length - 1];
  if (last && last.up === up) return marks as UptimeMark[];
  return [...marks, { at, up }].slice(-max);
}
