// Which modem sends a message (issue 19). Eligible: allowed to serve the destination, up, with
// budget left. Among those: priority (lower first), then health (registered at home, then
// roaming, then anything else; then the stronger signal), then the most budget left. A message
// with a part already accepted stays on its modem (the rest of the parts and the status reports
// follow it). Pure apart from the modems' live status, read through the ports.
import type { ModemStatus, RegistrationState } from '#common/contract/index.js';
import type { SendHooks } from '../modem/driver.js';
import type { ModemUsage } from '../modem/usage.js';
import type { SubmitPdu } from '../sms/submit.js';

export interface SmsPort {
  readonly isUp: boolean;
  sendParts(parts: SubmitPdu[], hooks: SendHooks, startAt: number): Promise<number[]>;
  readonly status?: ModemStatus;
}

/** One modem as the sender sees it. */
export interface ModemSlot {
  id: string;
  priority: number;
  /** Number prefixes it may send to; absent: all. */
  destinations?: string[] | undefined;
  port: SmsPort;
  usage?: ModemUsage | undefined;
}

const REG_RANK: Partial<Record<RegistrationState, number>> = { home: 0, roaming: 1 };

/** Whether a modem may send to `to` (prefixes compared without the leading "+"). */
export function serves(slot: Pick<ModemSlot, 'destinations'>, to: string): boolean {
  if (!slot.destinations) return true;
  const n = to.replace(/^\+/, '');
  return slot.destinations.some((p) => n.startsWith(p.replace(/^\+/, '')));
}

export interface Candidate {
  id: string;
  priority: number;
  up: boolean;
  registration?: RegistrationState | undefined;
  signal_dbm?: number | null | undefined;
  budgetLeft: number;
  serves: boolean;
}

/** The pure rule: the best eligible candidate, or undefined. */
export function best(cands: readonly Candidate[], avoid?: ReadonlySet<string>): Candidate | undefined {
  const ok = cands.filter((c) => c.up && c.serves && c.budgetLeft > 0 && !avoid?.has(c.id));
  ok.sort(
    (a, b) =>
      a.priority - b.priority ||
      (REG_RANK[a.registration ?? 'unknown'] ?? 2) - (REG_RANK[b.registration ?? 'unknown'] ?? 2) ||
      (b.signal_dbm ?? -200) - (a.signal_dbm ?? -200) ||
      b.budgetLeft - a.budgetLeft,
  );
  return ok[0];
}

/** The modems of an agent, in priority order. */
export class ModemSet {
  readonly slots: readonly ModemSlot[];

  constructor(slots: readonly ModemSlot[]) {
    if (!slots.length) throw new Error('at least one modem is needed');
    this.slots = [...slots].sort((a, b) => a.priority - b.priority);
  }

  /** One modem with id `modem` (agent send, tests). */
  static single(port: SmsPort, id = 'modem'): ModemSet {
    return new ModemSet([{ id, priority: 0, port }]);
  }

  get(id: string | undefined): ModemSlot | undefined {
    return this.slots.find((s) => s.id === id);
  }

  get anyUp(): boolean {
    return this.slots.some((s) => s.port.isUp);
  }

  candidates(to: string, now: number): Candidate[] {
    return this.slots.map((s) => ({
      id: s.id,
      priority: s.priority,
      up: s.port.isUp,
      registration: s.port.status?.registration,
      signal_dbm: s.port.status?.signal_dbm,
      budgetLeft: s.usage ? s.usage.left(now) : Infinity,
      serves: serves(s, to),
    }));
  }

  /** The modem for a message to `to`, skipping `avoid` (modems that just refused it). */
  choose(to: string, now: number, avoid?: ReadonlySet<string>): ModemSlot | undefined {
    const c = best(this.candidates(to, now), avoid);
    return c && this.get(c.id);
  }

  /** Whether some modem could ever send to `to` (serves it). */
  anyServes(to: string): boolean {
    return this.slots.some((s) => serves(s, to));
  }
}
