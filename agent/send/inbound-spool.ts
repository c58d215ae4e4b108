// Inbound SMS that `agent send` found on the SIM: without MQTT it cannot pass them on, and it
// must not delete them unseen, so it appends each to <data_dir>/inbound-spool.jsonl (fsynced)
// before the SIM copy is deleted; the service publishes the spool at its next start and only
// then empties it. A message published twice (crash between publish and truncate) keeps its
// content-derived id, so the hub drops the copy.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataFile } from '../fs-owner.js';
import type { InboundMessage } from '../sms/reassembly.js';

export interface SpooledInbound {
  from: string;
  text: string;
  sentAt: string;
  parts: number;
  /** When it was read from the SIM (ISO time). */
  receivedAt: string;
}

export class InboundSpool {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'inbound-spool.jsonl');
  }

  /** Durably record one message (returns once it is on disk: only then may the SIM copy go). */
  append(m: InboundMessage, receivedAt: Date): void {
    const rec: SpooledInbound = { from: m.from, text: m.text, sentAt: m.sentAt, parts: m.parts, receivedAt: receivedAt.toISOString() };
    writeDataFile(this.file, `${JSON.stringify(rec)}\n`, 'append');
  }

  /** Spooled messages in arrival order (a torn last line is skipped). */
  read(): SpooledInbound[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: SpooledInbound[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as SpooledInbound);
      } catch {
        // torn line after a power cut
      }
    }
    return out;
  }

  /** Publish every spooled message (each awaited), then empty the spool. */
  async drain(publish: (m: SpooledInbound) => Promise<void>): Promise<number> {
    const all = this.read();
    for (const m of all) await publish(m);
    if (all.length) rmSync(this.file, { force: true });
    return all.length;
  }
}
