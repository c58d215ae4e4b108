// MQTT topic names of the wire contract, and the access rule a broker applies to them.
//
// Every credential's username is its own topic root under `gsmjobs/v1/`:
//   site agent         username `site/<platform>/<site>`  -> gsmjobs/v1/site/<platform>/<site>/...
//   platform listener  username `events/<platform>`       -> gsmjobs/v1/events/<platform>/...
//   hub                username `hub` (full access)
// so one set of Mosquitto `pattern` lines using only %u confines each site to its own topics and
// each platform's subscribers to their own platform.

export const CONTRACT_VERSION = 1 as const;
export const ROOT = `gsmjobs/v${CONTRACT_VERSION}` as const;

export type SiteTopicKind = 'job' | 'cancel' | 'update' | 'status' | 'inbound';
export const SITE_TOPIC_KINDS: readonly SiteTopicKind[] = ['job', 'cancel', 'update', 'status', 'inbound'];

export type EventTopicKind = 'execution' | 'sms' | 'site';

export interface SiteRef {
  platform_id: string;
  site_id: string;
}

/** Topic between the hub and one site's agent. */
export function siteTopic(ref: SiteRef, kind: SiteTopicKind): string {
  return `${ROOT}/site/${ref.platform_id}/${ref.site_id}/${kind}`;
}

/** Subscription filter for one kind of agent topic across every site of every platform (hub side). */
export function allSitesFilter(kind: SiteTopicKind): string {
  return `${ROOT}/site/+/+/${kind}`;
}

/** Public event topic of a platform. Site events carry the site id as a last level. */
export function eventTopic(platform_id: string, kind: 'execution' | 'sms'): string;
export function eventTopic(platform_id: string, kind: 'site', site_id: string): string;
export function eventTopic(platform_id: string, kind: EventTopicKind, site_id?: string): string {
  const base = `${ROOT}/events/${platform_id}/${kind}`;
  return kind === 'site' ? `${base}/${site_id ?? ''}` : base;
}

/** Filter a third party uses to follow everything its platform publishes. */
export function platformEventsFilter(platform_id: string): string {
  return `${ROOT}/events/${platform_id}/#`;
}

export type ParsedTopic =
  | { scope: 'site'; platform_id: string; site_id: string; kind: SiteTopicKind }
  | { scope: 'events'; platform_id: string; kind: EventTopicKind; site_id?: string };

/** Parse a contract topic; undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'gsmjobs' || parts[1] !== `v${CONTRACT_VERSION}`) return undefined;
  if (parts[2] === 'site' && parts.length === 6) {
    const [, , , platform_id, site_id, kind] = parts as [string, string, string, string, string, string];
    if (!platform_id || !site_id || !(SITE_TOPIC_KINDS as readonly string[]).includes(kind)) return undefined;
    return { scope: 'site', platform_id, site_id, kind: kind as SiteTopicKind };
  }
  if (parts[2] === 'events' && parts.length >= 5) {
    const platform_id = parts[3] ?? '';
    const kind = parts[4];
    if (!platform_id) return undefined;
    if ((kind === 'execution' || kind === 'sms') && parts.length === 5) return { scope: 'events', platform_id, kind };
    if (kind === 'site' && parts.length === 6 && parts[5]) return { scope: 'events', platform_id, kind, site_id: parts[5] };
  }
  return undefined;
}

/** Broker usernames for each role. */
export const usernames = {
  hub: 'hub',
  site: (ref: SiteRef) => `site/${ref.platform_id}/${ref.site_id}`,
  platformEvents: (platform_id: string) => `events/${platform_id}`,
} as const;

export type Access = 'read' | 'write';

/** Kinds a username may publish under its own root (only site agents have such topics). */
const WRITABLE_KINDS: readonly string[] = ['update', 'status', 'inbound'];

/**
 * The ACL every broker applies: the embedded aedes broker calls it, and the Mosquitto ACL file
 * from `mosquittoAclFile()` states the same rule with `%u` patterns. `read` covers subscribe
 * (a filter, wildcards allowed) and receive; `write` covers publish, including a will message.
 *   - `hub` reads and writes everything under gsmjobs/.
 *   - any other username reads everything under gsmjobs/v1/<username>/ and writes only
 *     gsmjobs/v1/<username>/{update,status,inbound}. Event kinds (execution, sms, site/+) never
 *     share a name with those, so a platform listener cannot forge an event.
 */
export function aclAllows(username: string | undefined, topic: string, access: Access): boolean {
  if (!username || /[+#]/.test(username)) return false;
  if (username === usernames.hub) return topic.startsWith('gsmjobs/');
  const own = `${ROOT}/${username}/`;
  if (!topic.startsWith(own)) return false;
  const rest = topic.slice(own.length);
  if (access === 'read') return rest.length > 0;
  return WRITABLE_KINDS.includes(rest);
}

/** The Mosquitto ACL file that enforces `aclAllows` using only the client's username. */
export function mosquittoAclFile(): string {
  return [
    `# gsmjobs wire contract v${CONTRACT_VERSION}: every username is its own topic root under ${ROOT}/`,
    '# site agents: site/<platform>/<site>; platform listeners: events/<platform>',
    `user ${usernames.hub}`,
    'topic readwrite gsmjobs/#',
    '',
    `pattern read ${ROOT}/%u/#`,
    ...WRITABLE_KINDS.map((k) => `pattern write ${ROOT}/%u/${k}`),
    '',
  ].join('\n');
}
