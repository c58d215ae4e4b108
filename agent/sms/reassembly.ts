// Reassembly of concatenated inbound messages (3GPP TS 23.040 9.2.3.24.1): parts keyed by
// sender, reference and total, released when complete or when the oldest part has waited too
// long (then the text has a gap marker). Pure, time passed in.
// The UDH comes from anyone who can send an SMS, so it is not trusted (issue 18): a part whose
// seq is 0 or beyond its total never counts toward a message (it is handed on alone, marked
// incomplete, so its SIM slot is freed and nothing else is deleted with it); a repeated seq
// keeps the first text; waiting parts are bounded by count and bytes, the oldest message is
// evicted (handed on with gaps) when a new part would exceed them. Every such case is counted.
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

export interface ReassemblyLimits {
  maxWaitMs: number;
  /** Parts waiting across all messages. */
  maxParts: number;
  /** UTF-16 code units of text waiting across all messages (about 2 bytes each). */
  maxChars: number;
}

export const REASSEMBLY_LIMITS: ReassemblyLimits = { maxWaitMs: 10 * 60_000, maxParts: 1000, maxChars: 256 * 1024 };

/** Parts or messages that did not reassemble normally, by reason (the agent's counter labels). */
export interface ReassemblyDrops {
  /** seq 0 or seq > total: handed on alone. */
  invalid_seq: number;
  /** A seq already held: the first text is kept. */
  duplicate: number;
  /** Waiting messages pushed out by the count or size bounds. */
  evicted: number;
  /** Waiting messages released incomplete after maxWaitMs. */
  expired: number;
}

interface Pending {
  from: string;
  total: number;
  firstAt: number;
  parts: Map<number, DecodedDeliver>;
  indexes: Set<number>;
  chars: number;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly limits: ReassemblyLimits;
  private released: InboundMessage[] = [];
  private parts = 0;
  private chars = 0;
  readonly drops: ReassemblyDrops = { invalid_seq: 0, duplicate: 0, evicted: 0, expired: 0 };

  constructor(limits: number | Partial<ReassemblyLimits> = {}) {
    this.limits = { ...REASSEMBLY_LIMITS, ...(typeof limits === 'number' ? { maxWaitMs: limits } : limits) };
  }

  /** Add one part; returns the whole message when it is complete (or not concatenated). */
  add(part: DecodedDeliver, now: number, index?: number): InboundMessage | undefined {
    const indexes = index === undefined ? [] : [index];
    if (!part.concat || part.concat.total <= 1) return { from: part.from, text: part.text, sentAt: part.sentAt, parts: 1, complete: true, indexes };
    const { seq, total, ref } = part.concat;
    if (!Number.isInteger(seq) || seq < 1 || seq > total) {
      this.drops.invalid_seq++;
      return { from: part.from, text: part.text, sentAt: part.sentAt, parts: 1, complete: false, indexes };
    }
    const key = `${part.from}|${ref}|${total}`;
    let p = this.pending.get(key);
    if (p?.parts.has(seq)) {
      this.drops.duplicate++;
      if (index !== undefined) p.indexes.add(index); // freed with the message
      return undefined;
    }
    this.makeRoom(part.text.length, key);
    p = this.pending.get(key);
    if (!p) {
      p = { from: part.from, total, firstAt: now, parts: new Map(), indexes: new Set(), chars: 0 };
      this.pending.set(key, p);
    }
    p.parts.set(seq, part);
    p.chars += part.text.length;
    this.parts++;
    this.chars += part.text.length;
    if (index !== undefined) p.indexes.add(index);
    if (p.parts.size < p.total) return undefined;
    this.remove(key, p);
    return join(p, true);
  }

  /** Release incomplete messages older than maxWaitMs, and those evicted since the last call. */
  expire(now: number): InboundMessage[] {
    const out = this.released;
    this.released = [];
    for (const [key, p] of this.pending) {
      if (now - p.firstAt >= this.limits.maxWaitMs) {
        this.remove(key, p);
        this.drops.expired++;
        out.push(join(p, false));
      }
    }
    return out;
  }

  /** Messages evicted by the bounds since the last call (the driver hands them on after each add). */
  takeEvicted(): InboundMessage[] {
    const out = this.released;
    this.released = [];
    return out;
  }

  /** Waiting messages. */
  get size(): number {
    return this.pending.size;
  }

  /** Waiting parts and their text length (bounded by the limits). */
  get held(): { parts: number; chars: number } {
    return { parts: this.parts, chars: this.chars };
  }

  /** Evict the oldest messages (not `keep`) until one more part of `chars` fits. */
  private makeRoom(chars: number, keep: string): void {
    for (const [key, p] of this.pending) {
      if (this.parts + 1 <= this.limits.maxParts && this.chars + chars <= this.limits.maxChars) return;
      if (key === keep) continue;
      this.remove(key, p);
      this.drops.evicted++;
      this.released.push(join(p, false));
    }
  }

  private remove(key: string, p: Pending): void {
    this.pending.delete(key);
    this.parts -= p.parts.size;
    this.chars -= p.chars;
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
