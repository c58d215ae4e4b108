// AddReality source: POST {base}/public/v1/device/list with X-API-Token, paging with an offset
// in the body until `pagination.total` is reached (the earlier exporter lost devices past 300).
import { formatIssues } from '#common/contract/parse.js';
import type { RejectedRecord } from '../core/device.js';
import { addRealityPage, parseAddRealityRecord } from './addreality-schema.js';
import { ApiError, type HttpDeps, type RetryPolicy, requestJson } from './http.js';
import { CollectingSink, type DeviceSink, type Source, type SourceResult } from './source.js';

export interface AddRealityOptions {
  base_url: string;
  token: string;
  page_size: number;
  /** Body field names, configurable in case the real API names them otherwise. */
  offset_param: string;
  limit_param: string;
  ids_param: string;
  /** Safety stop: never fetch more pages than this in one refresh. */
  max_pages: number;
  retry: RetryPolicy;
}

export const DEVICE_LIST_PATH = '/public/v1/device/list';

export class AddRealitySource implements Source {
  readonly kind = 'addreality';
  readonly keyLabel = 'device_id' as const;

  constructor(
    private readonly options: AddRealityOptions,
    private readonly http: HttpDeps,
  ) {}

  async fetchDevices(signal: AbortSignal, sink?: DeviceSink): Promise<SourceResult> {
    const o = this.options;
    const url = `${o.base_url.replace(/\/+$/, '')}${DEVICE_LIST_PATH}`;
    const own = sink ? undefined : new CollectingSink();
    const seen: DeviceSink = sink ?? own!;
    const rejected: RejectedRecord[] = [];
    let offset = 0;
    let total: number | undefined;
    let requests = 0;
    for (let page = 0; ; page++) {
      if (page >= o.max_pages) throw new ApiError('malformed', `${url}: still not at the total after ${o.max_pages} pages (offset ${offset}, total ${total ?? '?'})`);
      const body = { [o.ids_param]: [], [o.limit_param]: o.page_size, [o.offset_param]: offset };
      const raw = await requestJson(this.http, o.retry, { method: 'POST', url, headers: { 'X-API-Token': o.token }, body }, signal);
      requests++;
      const parsed = addRealityPage.safeParse(raw);
      if (!parsed.success) {
        this.http.onError?.('malformed');
        throw new ApiError('malformed', `POST ${url} (offset ${offset}): unexpected answer: ${formatIssues(parsed.error)}`);
      }
      const { data, pagination } = parsed.data;
      if (page > 0 && pagination?.offset != null && pagination.offset !== offset) {
        throw new ApiError('malformed', `POST ${url}: asked for offset ${offset} in body field "${o.offset_param}" but got offset ${pagination.offset}; set paging.offset_param to the name the API uses`);
      }
      total = pagination?.total ?? total;
      const before = seen.size;
      for (const rec of data) {
        const r = parseAddRealityRecord(rec);
        if (r.ok) seen.add(r.device);
        else rejected.push({ key: r.key, error: `device ${r.key ?? `at offset ${offset}`}: ${r.error}` });
      }
      if (page > 0 && data.length > 0 && seen.size === before && rejected.length === 0) {
        throw new ApiError('malformed', `POST ${url}: the page at offset ${offset} repeats devices already listed; the API seems to ignore body field "${o.offset_param}" (set paging.offset_param)`);
      }
      offset += data.length;
      this.http.log?.debug('page fetched', { page: page + 1, offset, devices: data.length, total: total ?? null });
      if (data.length === 0) break;
      if (total !== undefined ? offset >= total : data.length < o.page_size) break;
    }
    // A device rejected on one page and listed valid on another (moved while paging) is valid.
    return { devices: own ? [...own.devices.values()] : [], rejected: rejected.filter((r) => r.key === undefined || !seen.has(r.key)), requests };
  }
}
