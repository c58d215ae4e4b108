// The webhook delivery log's record (issue 10): one row per delivery with its attempts. Sent and
// retried by hub/remediation/webhook-sender; stored by the hub. Times in epoch ms.
import { z } from 'zod';

export const deliveryStatus = z.enum(['pending', 'delivered', 'retrying', 'failed']);

/** One row of the delivery log: a webhook delivery and its attempts. */
export const deliveryRecord = z.object({
  id: z.string(),
  endpoint_id: z.string(),
  platform_id: z.string(),
  /** The effect key (hub/remediation/run.ts): a delivery per key, so a restart never duplicates it. */
  key: z.string(),
  event_type: z.string(),
  body: z.string(),
  status: deliveryStatus,
  created_at: z.number(),
  next_at: z.number().nullable(),
  attempts: z.array(
    z.object({
      at: z.number(),
      duration_ms: z.number(),
      http_status: z.number().int().nullable(),
      /** Network error or the first 200 characters of the response body. */
      error: z.string().max(200).nullable(),
    }),
  ),
});
export type DeliveryRecord = z.infer<typeof deliveryRecord>;
