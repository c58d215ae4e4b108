// A serialport binding for component tests: @serialport/binding-mock with the scripted modem
// (agent/sim) answering whatever the agent writes.
import { createRequire } from 'node:module';
import type { SerialBinding } from '../../../agent/serial/port.js';
import { SimModem, type SimOptions } from '../../../agent/sim/modem.js';

// binding-mock's types cannot be resolved under NodeNext "exports"; declare what is used.
interface MockPortBinding {
  isOpen: boolean;
  emitData(data: Buffer): void;
  write(buf: Buffer): Promise<void>;
}
interface MockBindingApi {
  createPort(path: string, opt: { echo: boolean; record: boolean }): void;
  open(opt: unknown): Promise<MockPortBinding>;
  list(): Promise<unknown[]>;
}
const { MockBinding } = createRequire(import.meta.url)('@serialport/binding-mock') as { MockBinding: MockBindingApi };

export interface MockModem {
  binding: SerialBinding;
  sim: SimModem;
  path: string;
  /** Everything the agent wrote, as text. */
  written(): string;
}

let n = 0;

export function mockModem(options: Omit<SimOptions, 'write'> = {}): MockModem {
  const path = `/dev/gsmjobs-mock-${process.pid}-${n++}`;
  MockBinding.createPort(path, { echo: false, record: false });
  let port: MockPortBinding | undefined;
  let log = '';
  const sim = new SimModem({
    ...options,
    write: (data) => {
      if (port?.isOpen) port.emitData(Buffer.from(data, 'latin1'));
    },
  });
  const binding = {
    list: () => MockBinding.list(),
    async open(opts: unknown) {
      const p = await MockBinding.open(opts);
      const write = p.write.bind(p);
      p.write = async (buf: Buffer) => {
        await write(buf);
        log += buf.toString('latin1');
        setImmediate(() => sim.input(buf));
      };
      port = p;
      return p;
    },
  } as unknown as SerialBinding;
  return { binding, sim, path, written: () => log };
}
