// Error pages of the web form (HTML, in the user's language).
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Banner } from './components.js';
import type { WebContext, WebDeps } from './context.js';
import { Page } from './layout.js';

export function errorPage(c: WebContext, w: WebDeps, status: ContentfulStatusCode, message: string) {
  const web = c.get('web');
  return c.html(
    <Page web={web} base={w.base} title={web.t('error_title')}>
      <Banner kind="error">{message}</Banner>
      <p>
        <a href={web.session ? `${w.base}/jobs` : `${w.base}/signin`}>{web.session ? web.t('nav_jobs') : web.t('signin_title')}</a>
      </p>
    </Page>,
    status,
  );
}
