// Build the source for one configured account. A third platform: one file implementing
// Source, one schema entry in config.ts, one case here.
import type { AccountConfig } from '../config.js';
import { AddRealitySource } from './addreality.js';
import { CubicMediaSource } from './cubicmedia.js';
import { type HttpDeps, type RetryPolicy } from './http.js';
import type { Source } from './source.js';

export function createSource(account: AccountConfig, token: string | undefined, retry: RetryPolicy, http: HttpDeps): Source {
  switch (account.platform) {
    case 'addreality':
      return new AddRealitySource(
        {
          base_url: account.base_url,
          token: token ?? '',
          page_size: account.page_size,
          offset_param: account.paging.offset_param,
          limit_param: account.paging.limit_param,
          ids_param: account.paging.ids_param,
          max_pages: account.max_pages,
          retry,
        },
        http,
      );
    case 'cubicmedia':
      return new CubicMediaSource({ base_url: account.base_url, token, macs: account.macs, concurrency: account.concurrency, retry }, http);
  }
}
