// Error classes of the AT engine and the classification of +CMS / +CME ERROR codes
// (3GPP TS 27.005 3.2.5, TS 24.011 E.2 / TS 23.040 9.2.3.22, TS 27.007 9.2) into retryable
// and permanent. Pure.

export class AtTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly ms: number,
    readonly stage: 'answer' | 'prompt' = 'answer',
  ) {
    super(`${command}: no ${stage === 'prompt' ? '"> " prompt' : 'answer'} from the modem within ${ms} ms`);
    this.name = 'AtTimeoutError';
  }
}

export class AtCommandError extends Error {
  /** The modem answered AT+CMGS before its "> " prompt: the PDU never left (issue 19: another modem may take it). */
  beforePrompt = false;

  constructor(
    readonly command: string,
    readonly kind: 'error' | 'cms' | 'cme' | 'other',
    readonly finalText: string,
    readonly code?: number,
  ) {
    super(`${command}: ${finalText}${code !== undefined && kind === 'cms' ? ` (${describeCms(code)})` : ''}${code !== undefined && kind === 'cme' ? ` (${describeCme(code)})` : ''}`);
    this.name = 'AtCommandError';
  }
}

export class PortClosedError extends Error {
  constructor(readonly command: string, reason = 'the serial port closed') {
    super(`${command}: ${reason}`);
    this.name = 'PortClosedError';
  }
}

/** The modem is not ready to send (down, starting, or blocked on the SIM); nothing was handed to it. */
export class ModemDownError extends Error {
  constructor(
    readonly state: string,
    readonly reason?: string,
  ) {
    super(`modem is ${state}${reason ? `: ${reason}` : ''}`);
    this.name = 'ModemDownError';
  }
}

/**
 * A PDU went to the modem and no verdict came back (no answer, the port closed, or OK without
 * +CMGS): the SMS may or may not have gone out. Never resent unless send.resend_uncertain says so.
 */
export class UncertainSendError extends Error {
  constructor(
    readonly command: string,
    override readonly cause: Error,
  ) {
    super(cause.message);
    this.name = 'UncertainSendError';
  }
}

const CMS_TEXT: Record<number, string> = {
  1: 'Unassigned (unallocated) number',
  8: 'Operator determined barring',
  10: 'Call barred',
  21: 'Short message transfer rejected',
  27: 'Destination out of service',
  28: 'Unidentified subscriber',
  29: 'Facility rejected',
  30: 'Unknown subscriber',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Congestion',
  47: 'Resources unavailable, unspecified',
  50: 'Requested facility not subscribed',
  69: 'Requested facility not implemented',
  81: 'Invalid short message transfer reference value',
  95: 'Invalid message, unspecified',
  96: 'Invalid mandatory information',
  97: 'Message type non-existent or not implemented',
  98: 'Message not compatible with short message protocol state',
  99: 'Information element non-existent or not implemented',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
  128: 'Telematic interworking not supported',
  130: 'Cannot replace short message',
  143: 'Unspecified TP-PID error',
  144: 'Data coding scheme (alphabet) not supported',
  159: 'Unspecified TP-DCS error',
  175: 'Unspecified TP-Command error',
  176: 'TPDU not supported',
  192: 'SC busy',
  193: 'No SC subscription',
  194: 'SC system failure',
  195: 'Invalid SME address',
  196: 'Destination SME barred',
  197: 'SM rejected - duplicate SM',
  208: 'SIM SMS storage full',
  300: 'ME failure',
  301: 'SMS service of ME reserved',
  302: 'Operation not allowed',
  303: 'Operation not supported',
  304: 'Invalid PDU mode parameter',
  305: 'Invalid text mode parameter',
  310: 'SIM not inserted',
  311: 'SIM PIN required',
  312: 'PH-SIM PIN required',
  313: 'SIM failure',
  314: 'SIM busy',
  315: 'SIM wrong',
  316: 'SIM PUK required',
  320: 'Memory failure',
  321: 'Invalid memory index',
  322: 'Memory full',
  330: 'SMSC address unknown',
  331: 'No network service',
  332: 'Network timeout',
  340: 'No +CNMA acknowledgement expected',
  500: 'Unknown error',
};

const CME_TEXT: Record<number, string> = {
  3: 'Operation not allowed',
  4: 'Operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'Incorrect password',
  30: 'No network service',
  100: 'Unknown',
};

export function describeCms(code: number): string {
  return CMS_TEXT[code] ?? (code >= 512 ? 'Manufacturer-specific error' : 'Unknown error');
}

export function describeCme(code: number): string {
  return CME_TEXT[code] ?? 'Unknown error';
}

/**
 * Permanent codes mean "this message to this number will never go": bad number, barred,
 * not subscribed, invalid PDU. Everything about the network, the SC being busy, the SIM being
 * busy, timeouts and unknown or manufacturer codes is worth retrying with backoff.
 */
const CMS_PERMANENT = new Set([1, 8, 10, 21, 28, 29, 30, 50, 69, 81, 95, 96, 97, 98, 99, 111, 127, 128, 130, 143, 144, 159, 175, 176, 193, 195, 196, 197, 301, 303, 304, 305, 310, 315, 316]);

export function isCmsRetryable(code: number): boolean {
  return !CMS_PERMANENT.has(code);
}

/** Retry decision for any error the engine or the modem raised while sending. */
export function classifySendError(err: unknown): { code: string; message: string; retryable: boolean; cms_error?: number } {
  if (err instanceof UncertainSendError) return classifySendError(err.cause);
  if (err instanceof ModemDownError) return { code: 'modem_down', message: err.message, retryable: true };
  if (err instanceof AtCommandError) {
    if (err.kind === 'cms' && err.code !== undefined) {
      return { code: 'cms_error', message: `${describeCms(err.code)} (+CMS ERROR: ${err.code})`, cms_error: err.code, retryable: isCmsRetryable(err.code) };
    }
    if (err.kind === 'cme') return { code: 'cme_error', message: err.finalText, retryable: err.code === undefined || ![10, 12, 13, 15, 16].includes(err.code) };
    return { code: 'modem_error', message: err.message, retryable: true };
  }
  if (err instanceof AtTimeoutError) return { code: 'timeout', message: err.message, retryable: true };
  if (err instanceof PortClosedError) return { code: 'modem_down', message: err.message, retryable: true };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), retryable: true };
}
