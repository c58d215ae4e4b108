// A serialport binding for component tests: @serialport/binding-mock with the scripted modem
// (agent/sim) answering whatever the agent writes.
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { SerialBinding } from '../../../agent/serial/port.js';
import { SimModem, type SimOptions } from '../../../agent/sim/modem.js';

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
    async open(opts: Parameters<typeof MockBinding.open>[0]) {
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
