// Decoding MQTT payloads against the contract, with errors that name the bad field.
import type { z } from 'zod';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Format zod issues as `field.path: message; other: message`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Most bytes a contract payload may have; larger ones are refused before JSON parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Parse a raw payload (Buffer or string) as JSON and validate it. Never throws. */
export function decodePayload<S extends z.ZodType>(schema: S, raw: Buffer | Uint8Array | string): Decoded<z.output<S>> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, error: `(root): payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch (err) {
    return { ok: false, error: `(root): not valid JSON (${(err as Error).message})` };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: formatIssues(result.error) };
}

/** Serialize a payload after validating it, so nothing off-contract leaves a program. */
export function encodePayload<S extends z.ZodType>(schema: S, value: z.input<S>): string {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`refusing to publish an invalid payload: ${formatIssues(result.error)}`);
  return JSON.stringify(result.data);
}
