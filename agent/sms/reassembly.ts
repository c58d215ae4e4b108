// Reassembly of concatenated inbound messages (3GPP TS 23.040 9.2.3.24.1): parts keyed by
// sender and reference, released when complete or when the oldest part has waited too long
// (then the text has a gap marker). Pure, time passed in.
import type { DecodedDeliver } from './deliver.js';

export interface InboundMessage {
  from: string;
  text: string;
  sentAt: string;
  parts: number;
  complete: boolean;
  /** SIM storage indexes of the parts, to delete once the message is safely handed on. */
  indexes: number[];
}

interface Pending {
  from: string;
  total: number;
  firstAt: number;
  parts: Map<number, DecodedDeliver>;
  indexes: Set<number>;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  constructor(private readonly maxWaitMs = 10 * 60_000) {}

  /** Add one part; returns the whole message when it is complete (or not concatenated). */
  add(part: DecodedDeliver, now: number, index?: number): InboundMessage | undefined {
    if (!part.concat || part.concat.total <= 1) return { from: part.from, text: part.text, sentAt: part.sentAt, parts: 1, complete: true, indexes: index === undefined ? [] : [index] };
    const key = `${part.from}|${part.concat.ref}|${part.concat.total}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { from: part.from, total: part.concat.total, firstAt: now, parts: new Map(), indexes: new Set() };
      this.pending.set(key, p);
    }
    p.parts.set(part.concat.seq, part);
    if (index !== undefined) p.indexes.add(index);
    if (p.parts.size < p.total) return undefined;
    this.pending.delete(key);
    return join(p, true);
  }

  /** Release incomplete messages older than maxWaitMs. */
  expire(now: number): InboundMessage[] {
    const out: InboundMessage[] = [];
    for (const [key, p] of this.pending) {
      if (now - p.firstAt >= this.maxWaitMs) {
        this.pending.delete(key);
        out.push(join(p, false));
      }
    }
    return out;
  }

  get size(): number {
    return this.pending.size;
  }
}

function join(p: Pending, complete: boolean): InboundMessage {
  let text = '';
  let sentAt = '';
  for (let seq = 1; seq <= p.total; seq++) {
    const part = p.parts.get(seq);
    if (!part) {
      text += '[…]';
      continue;
    }
    text += part.text;
    if (!sentAt) sentAt = part.sentAt;
  }
  return { from: p.from, text, sentAt, parts: p.total, complete, indexes: [...p.indexes] };
}
