// Foundation benchmark: the cost of validating contract payloads, paid on every MQTT message.
import { decodePayload, encodePayload, examples, executionUpdate, jobRequest } from '../../hub/common/contract/index.js';
import type { Bench } from './harness.js';

const bench: Bench = async () => {
  const job = encodePayload(jobRequest, examples.exampleJob);
  const update = JSON.stringify(examples.exampleUpdates[1]);
  const n = 50_000;
  for (let i = 0; i < 2000; i++) decodePayload(jobRequest, job);
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) decodePayload(jobRequest, job);
  const jobUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) decodePayload(executionUpdate, update);
  const updUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
  return [
    { name: 'contract: decode + validate a job payload', value: jobUs, unit: 'µs' },
    { name: 'contract: decode + validate an update payload', value: updUs, unit: 'µs' },
  ];
};
export default bench;
