// Record ids: time-ordered (base-36 milliseconds, 9 characters) then 16 random hex digits, so
// ids sort by creation and never collide across hubs. Episode ids are derived instead
// (hub/poller/episode.ts): a restart must find the same id for the same episode.
import { randomBytes } from 'node:crypto';

export function newId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
