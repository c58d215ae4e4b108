// A scripted modem on a pty pair (socat) for the edge tests: the program under test opens
// `dte`, this side answers AT commands on `modem` like a healthy SIM7600 with a registered SIM.
// Echo is on until ATE0, as on a real modem after power-up. Unknown AT commands get OK so that
// a `doctor` asking more than this script knows still gets a final result.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { type Proc, startProcess, waitFor } from '../support/process.js';

/** Answers (information lines; the final OK is added) by command, upper-cased, without CR. */
export const HEALTHY_SIM7600: Readonly<Record<string, readonly string[]>> = {
  AT: [],
  ATE0: [],
  ATI: ['Manufacturer: SIMCOM INCORPORATED', 'Model: SIMCOM_SIM7600E-H', 'Revision: LE20B04SIM7600M22'],
  'AT+CGMI': ['SIMCOM INCORPORATED'],
  'AT+CGMM': ['SIMCOM_SIM7600E-H'],
  'AT+CGMR': ['+CGMR: LE20B04SIM7600M22'],
  'AT+CGSN': ['867584030114974'],
  'AT+CIMI': ['250991234567890'],
  'AT+CPIN?': ['+CPIN: READY'],
  'AT+CSQ': ['+CSQ: 20,99'],
  'AT+CREG?': ['+CREG: 0,1'],
  'AT+CEREG?': ['+CEREG: 0,1'],
  'AT+CGREG?': ['+CGREG: 0,1'],
  'AT+COPS?': ['+COPS: 0,0,"MegaFon",7'],
  'AT+CSCA?': ['+CSCA: "+79262909090",145'],
  'AT+CMGF?': ['+CMGF: 0'],
  'AT+CPMS?': ['+CPMS: "SM",0,30,"SM",0,30,"SM",0,30'],
};

export interface PtyModem {
  /** The end the program under test opens. */
  readonly dte: string;
  /** Commands received so far, in order. */
  readonly received: string[];
  stop(): Promise<void>;
}

export async function startPtyModem(script: Readonly<Record<string, readonly string[]>> = HEALTHY_SIM7600): Promise<PtyModem> {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-pty-'));
  const modemPath = join(dir, 'modem');
  const dte = join(dir, 'dte');
  const socat: Proc = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${modemPath}`, `pty,raw,echo=0,link=${dte}`], { name: 'socat' });
  await waitFor(() => existsSync(modemPath) && existsSync(dte), 10_000, 'socat pty pair');
  const port = new SerialPort({ path: modemPath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const received: string[] = [];
  let echo = true;
  let pending = '';
  port.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let cr: number;
    while ((cr = pending.search(/[\r\n]/)) >= 0) {
      const cmd = pending.slice(0, cr).trim();
      pending = pending.slice(cr + 1);
      if (!cmd) continue;
      received.push(cmd);
      const key = cmd.toUpperCase();
      let reply = echo ? `${cmd}\r` : '';
      if (key === 'ATE0') echo = false;
      if (key === 'ATE1') echo = true;
      if (!key.startsWith('AT')) reply += '\r\nERROR\r\n';
      else {
        for (const line of script[key] ?? []) reply += `\r\n${line}\r\n`;
        reply += '\r\nOK\r\n';
      }
      port.write(reply);
    }
  });
  return {
    dte,
    received,
    async stop() {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
      await socat.stop(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The agent's own modem simulator (agent/sim) on a pty pair, presented like startPtyModem(): the
 * edge tests use it when the executable under test is the real agent, whose `doctor` asks more
 * than the small script above knows.
 */
export async function startAgentSimModem(model: 'SIM800' | 'SIM7600' = 'SIM7600'): Promise<PtyModem> {
  const { defaultBinding } = await import('../../agent/modem/stack.js');
  const { SimPty } = await import('../../agent/sim/pty.js');
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-sim-'));
  const sim = new SimPty({ dir, name: 'dte', model, binding: await defaultBinding() });
  const received: string[] = [];
  let pending = '';
  const input = sim.modem.input.bind(sim.modem);
  sim.modem.input = (data: Buffer | string) => {
    pending += typeof data === 'string' ? data : data.toString('latin1');
    let cr: number;
    // Ctrl-Z (0x1a) ends a PDU after AT+CMGS, like a line end.
    // eslint-disable-next-line no-control-regex
    while ((cr = pending.search(/[\r\n\x1a]/)) >= 0) {
      const cmd = pending.slice(0, cr).trim();
      pending = pending.slice(cr + 1);
      if (cmd) received.push(cmd);
    }
    input(data);
  };
  await sim.start();
  return {
    dte: sim.path,
    received,
    async stop() {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
