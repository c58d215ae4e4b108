// Status reports are matched to the part they report on by TP-MR [TS 23.040 9.2.3.6] on the
// modem that sent the part (issue 19: each modem numbers its own messages, so two modems may
// both use TP-MR 17). Reports that beat the +CMGS answer are kept a while for the part that
// will claim their TP-MR. Pure, time passed in.
export type ReportOutcome = 'delivered' | 'pending' | 'failed';

export interface EarlyReport {
  status: number;
  outcome: ReportOutcome;
  dischargeAt?: string;
  at: number;
}

const key = (modem: string | undefined, mr: number) => `${modem ?? ''}:${mr}`;

export class MrIndex {
  /** modem:TP-MR -> execution and part awaiting a status report (latest wins: MRs wrap at 256). */
  private readonly byMr = new Map<string, { id: string; part: number }>();
  /** TP-MR alone -> the latest part with it, for a report that does not say its modem (one modem). */
  private readonly anyModem = new Map<number, { id: string; part: number }>();
  private readonly early = new Map<string, EarlyReport>();

  set(modem: string | undefined, mr: number, id: string, part: number): void {
    this.byMr.set(key(modem, mr), { id, part });
    this.anyModem.set(mr, { id, part });
  }

  /** The part a report from `modem` names (a part journaled before issue 19 has no modem: matched by TP-MR alone). */
  get(modem: string | undefined, mr: number): { id: string; part: number } | undefined {
    if (modem === undefined) return this.anyModem.get(mr);
    return this.byMr.get(key(modem, mr)) ?? this.byMr.get(key(undefined, mr));
  }

  keepEarly(modem: string | undefined, mr: number, r: EarlyReport): void {
    this.early.set(key(modem, mr), r);
    if (this.early.size > 1024) {
      const oldest = this.early.keys().next().value;
      if (oldest !== undefined) this.early.delete(oldest);
    }
  }

  takeEarly(modem: string | undefined, mr: number): EarlyReport | undefined {
    for (const k of [key(modem, mr), key(undefined, mr)]) {
      const r = this.early.get(k);
      if (r) {
        this.early.delete(k);
        return r;
      }
    }
    return undefined;
  }
}
