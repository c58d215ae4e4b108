// The serial port adapter: opens the configured path through an injected binding
// (@serialport/bindings-cpp in production, @serialport/binding-mock in component tests, a pty
// pair in integration tests), feeds the AT engine and tells the driver when the port goes away.
import { SerialPortStream } from '@serialport/stream';
import type { AtEngine } from '../at/engine.js';
import type { Logger } from '#common/log.js';

/** Any serialport binding (bindings-cpp, binding-mock). */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  binding: SerialBinding;
  engine: AtEngine;
  log: Logger;
  /** Called once per opened port when it closes or fails (unplug, pty closed). */
  onLost?: (reason: string) => void;
}

export class SerialLink {
  private port: SerialPortStream | undefined;

  constructor(private readonly o: SerialLinkOptions) {}

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Open the port and attach it to the engine; rejects with the OS error (ENOENT, EACCES ...). */
  async open(): Promise<void> {
    await this.close();
    const port = new SerialPortStream({ binding: this.o.binding, path: this.o.path, baudRate: this.o.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    let lost = false;
    const onLost = (reason: string) => {
      if (lost) return;
      lost = true;
      if (this.port === port) this.port = undefined;
      this.o.engine.detach(reason);
      this.o.onLost?.(reason);
    };
    port.on('data', (chunk: Buffer) => this.o.engine.feed(chunk));
    port.on('error', (err: Error) => {
      this.o.log.warn('serial port error', { path: this.o.path, err: err.message });
      onLost(`serial port error: ${err.message}`);
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => onLost(err?.disconnected ? 'the modem disconnected' : 'the serial port closed'));
    this.o.engine.attach({
      write: (data) =>
        new Promise<void>((resolve, reject) => {
          if (!port.isOpen) {
            reject(new Error('port not open'));
            return;
          }
          port.write(Buffer.from(data, 'latin1'), (err) => (err ? reject(err) : resolve()));
        }),
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.removeAllListeners('data');
    port.removeAllListeners('close');
    port.removeAllListeners('error');
    port.on('error', () => undefined);
    this.o.engine.detach('the serial port was closed by the agent');
    if (!port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
