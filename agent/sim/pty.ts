// The simulator on a real pseudo-terminal pair made by socat: the agent opens `path` like a
// USB modem; the simulator holds the other end. unplug() kills socat so both ends vanish, as
// when a USB modem is pulled out; plugIn() creates them again at the same path.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import type { SerialBinding } from '../serial/port.js';
import { SimModem, type SimOptions, type SimSms } from './modem.js';

export interface SimPtyOptions extends Omit<SimOptions, 'write' | 'onSms'> {
  /** Directory for the two pty links. */
  dir: string;
  name?: string;
  /** JSON-lines file receiving every SMS part the modem accepted. */
  logFile?: string;
  onSms?: (sms: SimSms) => void;
  binding: SerialBinding;
  socat?: string;
}

export class SimPty {
  readonly path: string;
  readonly simPath: string;
  modem: SimModem;
  private socat: ChildProcess | undefined;
  private port: SerialPortStream | undefined;

  constructor(private readonly o: SimPtyOptions) {
    this.path = join(o.dir, o.name ?? 'modem');
    this.simPath = `${this.path}.sim`;
    this.modem = new SimModem({
      ...o,
      write: (data) => this.port?.write(Buffer.from(data, 'latin1')),
      onSms: (sms) => {
        if (o.logFile) appendFileSync(o.logFile, `${JSON.stringify(sms)}\n`);
        o.onSms?.(sms);
      },
    });
  }

  get plugged(): boolean {
    return this.socat !== undefined;
  }

  async start(): Promise<void> {
    await this.plugIn();
  }

  async plugIn(): Promise<void> {
    if (this.socat) return;
    const child = spawn(this.o.socat ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${this.path}`, `pty,raw,echo=0,link=${this.simPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.socat = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.path) && existsSync(this.simPath) && /starting data transfer loop/.test(stderr))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`socat did not create the pty pair: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const port = new SerialPortStream({ binding: this.o.binding, path: this.simPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (d: Buffer) => this.modem.input(d));
    port.on('error', () => undefined);
    this.port = port;
    this.modem.echo = true;
    this.modem.silent = false;
    this.modem.boot();
  }

  /** Pull the modem out: both pty ends disappear. */
  async unplug(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    const child = this.socat;
    this.socat = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }

  async stop(): Promise<void> {
    this.modem.stop();
    await this.unplug();
  }
}
