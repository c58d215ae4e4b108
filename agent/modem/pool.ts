// Every modem of the agent (issue 19): one AT engine, serial link, driver, recovery ladder and
// usage count per modem, in priority order, and their status as the wire contract's v2 entries.
import type { ModemEntry, ModemStatus } from '#common/contract/index.js';
import type { Clock } from '#common/clock.js';
import type { Logger } from '#common/log.js';
import { type AgentConfig, type ModemConfig, modemsOf } from '../config.js';
import { ModemSet } from '../outbox/choose.js';
import type { SerialBinding } from '../serial/port.js';
import type { DecodedStatusReport } from '../sms/deliver.js';
import type { InboundMessage } from '../sms/reassembly.js';
import { type ModemStack, createModemStack } from './stack.js';
import { ModemUsage } from './usage.js';

export interface PoolDeps {
  config: AgentConfig;
  log: Logger;
  binding: SerialBinding;
  clock?: Clock;
  observe?: (modem: string, command: string, seconds: number, result: 'ok' | 'error' | 'timeout') => void;
  onStatus?: (modem: string, s: ModemStatus) => void;
  onStatusReport?: (modem: string, r: DecodedStatusReport) => void;
  onInbound?: (modem: string, m: InboundMessage) => Promise<void> | void;
}

export interface PoolMember {
  id: string;
  config: ModemConfig;
  stack: ModemStack;
  usage: ModemUsage;
}

export class ModemPool {
  readonly members: PoolMember[];
  readonly set: ModemSet;

  constructor(d: PoolDeps) {
    const many = (d.config.modems?.length ?? 0) > 0;
    this.members = modemsOf(d.config).map((m) => {
      const stack = createModemStack({
        config: d.config,
        modem: m,
        // One modem keeps the log names it always had; several are told apart by id.
        log: many ? d.log.child(m.id) : d.log,
        binding: d.binding,
        ...(d.clock ? { clock: d.clock } : {}),
        ...(d.observe ? { observe: (c: string, s: number, r: 'ok' | 'error' | 'timeout') => d.observe?.(m.id, c, s, r) } : {}),
        onStatus: (s) => d.onStatus?.(m.id, s),
        onStatusReport: (r) => d.onStatusReport?.(m.id, r),
        onInbound: (msg) => d.onInbound?.(m.id, msg),
      });
      return { id: m.id, config: m, stack, usage: new ModemUsage({ partsPerHour: m.parts_per_hour, pricePerPart: m.price_per_part, currency: m.currency }) };
    });
    this.set = new ModemSet(this.members.map((p) => ({ id: p.id, priority: p.config.priority, destinations: p.config.destinations, port: p.stack.driver, usage: p.usage })));
  }

  get(id: string): PoolMember | undefined {
    return this.members.find((m) => m.id === id);
  }

  start(): void {
    for (const m of this.members) m.stack.driver.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stack.driver.stop()));
  }

  /** Every modem in priority order, as status v2 reports them. */
  entries(now: number): ModemEntry[] {
    return this.members.map((m) => {
      const c = m.config;
      const cost = m.usage.costToday(now);
      return {
        ...m.stack.driver.status,
        id: m.id,
        ...(c.carrier ? { carrier: c.carrier } : {}),
        priority: c.priority,
        budget: { parts_per_hour: c.parts_per_hour ?? null, parts_last_hour: m.usage.partsLastHour(now) },
        parts_today: m.usage.partsToday(now),
        ...(cost !== undefined ? { cost_today: cost } : {}),
        ...(c.price_per_part !== undefined ? { price_per_part: c.price_per_part } : {}),
        ...(c.currency ? { currency: c.currency } : {}),
      };
    });
  }

  /** The summary for v1 readers: the best modem's status (the first one up in priority order, else the first). */
  best(): ModemStatus {
    const up = this.members.find((m) => m.stack.driver.isUp) ?? this.members[0];
    return up?.stack.driver.status ?? { state: 'init' };
  }
}
