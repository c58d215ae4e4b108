// Playbook v2 schemas and the SimPal "power-cycle and verify" template (issue 10, "Playbooks":
// "a 'power-cycle and verify' template for the SimPal sockets ships ready").
import { describe, expect, it } from 'vitest';
import { loadCatalogs, renderCommand } from '../../../hub/catalog/catalog.js';
import { isSimple, playbook, powerCycleTemplate, stepV2 } from '../../../hub/remediation/playbook.js';
import { sendStep as stepV1 } from '../../../hub/model/job.js';

const catalogs = loadCatalogs();
const notify = { sms: { site_id: 'site-a', to: 'on_call' as const }, webhooks: ['wh1'] };

describe('power-cycle template', () => {
  it.each(['SIMPAL_D210', 'SIMPAL_D410'] as const)('%s: every send is a real catalog command that renders', (model) => {
    const p = powerCycleTemplate({ model, site_id: 'site-a', control_device_id: 'sock1', off_min: 2, long_off_min: 10, notify });
    const cat = catalogs.get(model);
    expect(cat).toBeDefined();
    const sends = p.flatMap((s) => (s.type === 'send' && s.command.kind === 'catalog' ? [s.command] : []));
    expect(sends.length).toBeGreaterThanOrEqual(2);
    for (const c of sends) {
      const cmd = cat?.commands.find((x) => x.id === c.command_id);
      expect(cmd, c.command_id).toBeDefined();
      if (cmd) expect(renderCommand(cmd, c.params).ok).toBe(true);
    }
    expect(p.map((s) => s.type).filter((t) => t !== 'send')).toEqual(['wait', 'verify', 'wait', 'verify', 'notify']);
    const waits = p.flatMap((s) => (s.type === 'wait' ? [s.duration_s] : []));
    expect(waits).toEqual([120, 600]);
  });

  it('D210 power-off text is #12#0#N#1#', () => {
    const p = powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's', control_device_id: 'c', off_min: 3, notify });
    const first = p[0];
    const cmd = catalogs.get('SIMPAL_D210')?.commands.find((c) => first?.type === 'send' && first.command.kind === 'catalog' && c.id === first.command.command_id);
    expect(cmd && first?.type === 'send' && first.command.kind === 'catalog' ? renderCommand(cmd, first.command.params) : null).toEqual({ ok: true, text: '#12#0#3#1#' });
  });

  it('D410 switches the line on later before switching it off (a lost SMS never leaves it off)', () => {
    const p = powerCycleTemplate({ model: 'SIMPAL_D410', site_id: 's', control_device_id: 'c', line: 2, notify });
    const ids = p.flatMap((s) => (s.type === 'send' && s.command.kind === 'catalog' ? [s.command.command_id] : []));
    expect(ids.slice(0, 2)).toEqual(['11_2_1_minutes', '02_2']);
  });

  it('verify checks online == 1 within the boot time', () => {
    const p = powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's', control_device_id: 'c', boot_s: 420, notify });
    expect(p.find((s) => s.type === 'verify')).toMatchObject({ conditions: [{ metric: 'signage_device_online', op: '==', value: 1 }], within_s: 420, on_unknown: 'notify_only' });
  });

  it('the people notification exists in Russian and English', () => {
    const text = (lang: 'ru' | 'en') => powerCycleTemplate({ model: 'SIMPAL_D210', site_id: 's', control_device_id: 'c', notify, lang }).at(-1);
    expect(text('ru')).toMatchObject({ type: 'notify', text: '{job}: {device} не восстановлен после перезагрузок питания ({outcome})' });
    expect(text('en')).toMatchObject({ type: 'notify', text: '{job}: {device} not recovered after power-cycles ({outcome})' });
  });
});

describe('schemas', () => {
  it('every v1 step is a valid v2 step; a one-send playbook is the simple case', () => {
    const v1 = stepV1.parse({ type: 'send', site_id: 's', control_device_id: 'c', command: { kind: 'text', text: 'hi' } });
    expect(stepV2.parse(v1)).toEqual(v1);
    expect(isSimple(playbook.parse([v1]))).toBe(true);
  });

  it('bad playbooks name the field', () => {
    const verifyFirst = playbook.safeParse([{ type: 'verify', conditions: [{ metric: 'up', op: '==', value: 1 }], within_s: 60 }]);
    expect(verifyFirst.success).toBe(false);
    expect(verifyFirst.error?.issues.map((i) => i.message)).toContain('verify must follow a send step');
    const emptyNotify = playbook.safeParse([{ type: 'notify' }]);
    expect(emptyNotify.error?.issues[0]).toMatchObject({ path: [0, 'sms'], message: 'must name an SMS site or at least one webhook' });
    const waitOnly = playbook.safeParse([{ type: 'wait', duration_s: 5 }]);
    expect(waitOnly.error?.issues[0]?.message).toBe('must hold a send or notify step');
    expect(playbook.safeParse([{ type: 'notify', sms: { site_id: 's', to: ['12 34'] } }]).success).toBe(false);
  });
});
