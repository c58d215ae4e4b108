// Issue 20: the web form's wizard reads through the store port in the session's platform only.
// A session of platform a that puts platform b's control device id into its draft must not
// see that device's name or phone on the review page (through the real app, cookie session).
import { describe, expect, it } from 'vitest';
import { createWebWorld, WebClient, wizardState } from '../web/helpers.js';
import { TOKENS } from './world.js';

describe('web form tenancy through the store port', () => {
  it("a tampered draft naming another platform's control device shows nothing of it", async () => {
    const w = await createWebWorld();
    const job = w.job('a', { name: 'mine' });
    await w.store.putJob(job);
    const a = new WebClient(w.app);
    await a.signIn(TOKENS.a);
    const page = await a.get(`/ui/jobs/${job.id}/edit`);
    const { draft_id } = wizardState(page.text);
    // The review of the platform's own device names it (so the check below can see a name).
    const own = await a.get(`/ui/jobs/draft/${draft_id}/5`);
    expect(own.text).toContain('Socket a');
    expect(own.text).toContain('+79160000001');
    // Platform b's device (cd-b: "Socket b", +79160000002) put into the draft through the step-4 form.
    await a.post('/ui/jobs/wizard', { draft_id, step: '4', 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-b', 'steps[0].command.kind': 'catalog', 'steps[0].command.command_id': '12_0_minutes_1', go: 'refresh' });
    const tampered = await a.get(`/ui/jobs/draft/${draft_id}/5`);
    expect(tampered.text).toContain('Шаг 5 из 5');
    expect(tampered.text).not.toContain('Socket b');
    expect(tampered.text).not.toContain('+79160000002');
    // Saving it is refused as an unknown device (back on step 4), and nothing of b leaks either.
    const saved = await a.post('/ui/jobs/wizard', { draft_id, step: '5', go: 'save' });
    expect(saved.status).toBe(400);
    expect(saved.text).toContain('Шаг 4 из 5');
    expect(saved.text).not.toContain('Socket b');
    expect(saved.text).not.toContain('+79160000002');
    expect(w.store.job(job.id)?.steps).toEqual(job.steps);
  });
});
