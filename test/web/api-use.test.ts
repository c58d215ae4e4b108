// The web form takes what it shows from the hub's API: devices' online state (GET /devices),
// the automatic name and the dry-run reason in the user's language (Accept-Language from the
// session's choice), validation through the API's own function.
import { describe, expect, it } from 'vitest';
import { TOKENS } from '../hub/world.js';
import { createWebWorld, decodeEntities, WebClient, wizardState } from './helpers.js';

describe('web form over the API', () => {
  it('device online state comes from GET /api/v1/devices, with no Prometheus query of its own', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    w.prom.queries.length = 0;
    const page = await b.get('/ui/jobs/wizard/devices?q=Player');
    const text = decodeEntities(page.text);
    expect(text).toContain('dev-a-2');
    // dev-a-2 is offline (0), the others online: each row carries its badge.
    const row = (key: string) => text.slice(text.indexOf(key) - 400, text.indexOf(key) + 400);
    expect(row('dev-a-2')).toMatch(/offline|не в сети|офлайн/i);
    // Only the device directory's aggregated queries, never a raw selector of the online metric.
    expect(w.prom.queries.map((q) => q.promql).filter((q) => q.startsWith('signage_device_online{'))).toEqual([]);
  });

  it('an English user gets the English automatic name on review and on save, and the API reason in English', async () => {
    const w = await createWebWorld();
    const b = new WebClient(w.app);
    await b.signIn(TOKENS.a);
    let page = await b.get('/ui/jobs/new?lang=en');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), pick: JSON.stringify({ key_type: 'device_id', key: 'dev-a-1', name: 'Player a1' }) });
    expect(page.text).toContain('Step 2 of 5');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), metric: 'signage_device_online', go: 'next' });
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), 'conditions[0].metric': 'signage_device_online', 'conditions[0].op': '==', 'conditions[0].value': '0', for_min: '5', 'no_data.mode': 'ignore', no_data_min: '5', cooldown_min: '10', combine: 'and', go: 'next' });
    const action = { 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'catalog', 'steps[0].command.command_id': '12_0_minutes_1' };
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), ...action, go: 'refresh' }); // the command's parameters appear
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-a', 'steps[0].command.kind': 'catalog', 'steps[0].command.command_id': '12_0_minutes_1', 'steps[0].command.params.minutes': '1', go: 'next' });
    const review = decodeEntities(page.text);
    expect(review).toContain('Step 5 of 5');
    expect(review).toContain('Monitoring Player a1 - online = 0');
    expect(review).not.toContain('Мониторинг');
    // Player a1 is online (1): the condition (== 0) does not hold; the API's English sentence.
    expect(review).toContain('Conditions do not hold now');
    page = await b.post('/ui/jobs/wizard', { ...wizardState(page.text), name: '', enabled: 'on', go: 'save' });
    expect(page.location).toMatch(/^\/ui\/jobs\?msg=saved&job=/);
    expect(w.store.jobs('a')[0]).toMatchObject({ name: 'Monitoring Player a1 - online = 0', name_auto: true });
  });
});
