// Caps on broker connections that have not logged in yet (issue 18): at most `perAddress` from
// one address (keyed like the login guard: IPv4, or the IPv6 /64) and at most `total` in all.
// A connection counts from its accept until its login is decided or it closes, whichever is
// first; beyond a cap it is dropped before a byte is read. Addresses someone logged in from are
// held only to the per-address cap, so a botnet that fills the total cannot keep known agents
// out. Pure: the broker calls `open` at accept and the returned release exactly once.
export interface ConnectionLimits {
  /** Connections not logged in yet, per address. */
  perAddress: number;
  /** Connections not logged in yet, in all. */
  total: number;
}

export type GateVerdict = { ok: true; release: () => void } | { ok: false };

const REFUSED: GateVerdict = { ok: false };

export class ConnectionGate {
  private readonly pending = new Map<string, number>();
  private count = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Would `open` admit a connection from `address` now? (Nothing is held.) */
  admits(address: string, known: boolean): boolean {
    return (this.pending.get(address) ?? 0) < this.limits.perAddress && (known || this.count < this.limits.total);
  }

  /** Admit a new connection from `address` (`known`: someone logged in from it before). */
  open(address: string, known: boolean): GateVerdict {
    if (!this.admits(address, known)) return REFUSED;
    const n = this.pending.get(address) ?? 0;
    this.pending.set(address, n + 1);
    this.count++;
    let held = true;
    return {
      ok: true,
      release: () => {
        if (!held) return;
        held = false;
        this.count--;
        const left = (this.pending.get(address) ?? 1) - 1;
        if (left <= 0) this.pending.delete(address);
        else this.pending.set(address, left);
      },
    };
  }

  /** Connections not logged in yet. */
  get size(): number {
    return this.count;
  }

  /** Addresses with connections not logged in yet. */
  get addresses(): number {
    return this.pending.size;
  }
}
