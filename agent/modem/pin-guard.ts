// Remembers a PIN the SIM refused, so that neither a restart, a reboot nor `agent doctor`
// spends another of the SIM's three tries on it. Only a salted sha256 of the PIN is stored
// (never the PIN), in <data_dir>/sim-pin-refused.json (mode 0600, fsynced). A different
// configured PIN no longer matches the hash, so fixing the PIN lets the agent try again.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataFile } from '../fs-owner.js';

export interface PinRefusal {
  salt: string;
  hash: string;
  at: string;
  /** Tries the SIM said were left after the refusal, when the modem tells. */
  tries_left?: number;
}

export function hashPin(pin: string, salt: string): string {
  return createHash('sha256').update(`${salt}:${pin}`).digest('hex');
}

export class PinGuard {
  readonly file: string;

  /** One file per modem (issue 19); the modem with id `modem` (a lone `modem:`) keeps the old name. */
  constructor(dataDir: string, modemId = 'modem') {
    this.file = join(dataDir, modemId === 'modem' ? 'sim-pin-refused.json' : `sim-pin-refused.${modemId}.json`);
  }

  private read(): PinRefusal | undefined {
    try {
      const r = JSON.parse(readFileSync(this.file, 'utf8')) as PinRefusal;
      return typeof r.salt === 'string' && typeof r.hash === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** The stored refusal if it is for this PIN. */
  refusalOf(pin: string): PinRefusal | undefined {
    const r = this.read();
    return r && hashPin(pin, r.salt) === r.hash ? r : undefined;
  }

  /** Record durably (write, fsync, rename) that the SIM refused `pin`. */
  remember(pin: string, triesLeft?: number): void {
    const salt = randomBytes(16).toString('hex');
    const rec: PinRefusal = { salt, hash: hashPin(pin, salt), at: new Date().toISOString(), ...(triesLeft !== undefined ? { tries_left: triesLeft } : {}) };
    writeDataFile(this.file, `${JSON.stringify(rec)}\n`);
  }

  /** The SIM accepted the PIN (or needs none): forget an old refusal. */
  clear(): void {
    rmSync(this.file, { force: true });
  }
}
