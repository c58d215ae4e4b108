// Static assets of the web form: the stylesheet and two small ES modules (the wizard's script and
// the SMS counter generated from hub/common/sms). Kept in code so a bundle carries them.
import { Hono } from 'hono';
import { WIZARD_JS } from './client-wizard.js';
import type { WebEnv } from './context.js';
import { APP_CSS } from './style.js';
import { smsClientModule } from './sms-client.js';

const FILES: Record<string, { type: string; body: string }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
  'wizard.js': { type: 'text/javascript; charset=utf-8', body: WIZARD_JS },
  'sms.js': { type: 'text/javascript; charset=utf-8', body: smsClientModule() },
};

export function assetsRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/:file', (c) => {
    const f = FILES[c.req.param('file')];
    if (!f) return c.text('not found', 404);
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(f.body, 200, { 'Content-Type': f.type });
  });
  return app;
}
