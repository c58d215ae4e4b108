// Every message from a site's topics, routed by kind (moved out of the composition root, issue
// 20): the retained status to the site monitor, inbound SMS to the inbound matcher, updates
// decoded here and handed to the dispatcher. Only the status is retained by contract; a retained
// update or inbound SMS would be replayed at every (re)subscription of the hub, so it is refused
// (issue 18), as is an update that fails the contract or names another site than its topic.
import { decodePayload, executionUpdate } from '../common/contract/index.js';
import type { Logger } from '../common/log.js';
import type { SiteMessage } from '../mqtt/adapter.js';
import type { Dispatcher } from './dispatcher.js';
import type { InboundHandler } from './inbound.js';
import { decodeReason, type OnRejected } from './refusals.js';
import type { SiteMonitor } from './sites.js';

export interface SiteMessageDeps {
  sites: Pick<SiteMonitor, 'handleStatus'>;
  inbound: Pick<InboundHandler, 'handle'>;
  dispatcher: Pick<Dispatcher, 'handleUpdate' | 'rejectedUpdates'>;
  onRejected: OnRejected;
  log: Logger;
}

export function siteMessageHandler(d: SiteMessageDeps): (msg: SiteMessage) => Promise<void> {
  return async (msg) => {
    if (msg.retained && msg.kind !== 'status') {
      d.onRejected(msg.ref, msg.kind, 'retained');
      d.log.warn(`retained ${msg.kind} refused`, { ...msg.ref });
      return;
    }
    if (msg.kind === 'status') await d.sites.handleStatus(msg.ref, msg.payload);
    else if (msg.kind === 'inbound') await d.inbound.handle(msg.ref, msg.payload);
    else if (msg.kind === 'update') {
      const u = decodePayload(executionUpdate, msg.payload);
      if (!u.ok || u.value.platform_id !== msg.ref.platform_id || u.value.site_id !== msg.ref.site_id) {
        d.dispatcher.rejectedUpdates++;
        d.onRejected(msg.ref, 'update', u.ok ? 'site_mismatch' : decodeReason(u.error));
        d.log.warn('update refused', { ...msg.ref, error: u.ok ? 'site mismatch' : u.error });
        return;
      }
      await d.dispatcher.handleUpdate(u.value);
    }
  };
}
