// The page shell: skip link, header with navigation, language switch and sign-out, main region.
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { CsrfField } from './components.js';
import type { WebState } from './context.js';

function withLang(path: string, lang: string): string {
  const u = new URL(path, 'http://x');
  u.searchParams.set('lang', lang);
  return `${u.pathname}${u.search}`;
}

export function Page(props: { web: WebState; base: string; title: string; children: Child; scripts?: string[]; current?: 'jobs' | 'executions' | 'sites' | 'controls' | 'incidents' | 'fleet' | 'remediation' }) {
  const { web, base } = props;
  const t = web.t;
  const other = web.lang === 'ru' ? 'en' : 'ru';
  const nav = [
    ['jobs', `${base}/jobs`, t('nav_jobs')],
    ['executions', `${base}/executions`, t('nav_executions')],
    ['sites', `${base}/sites`, t('nav_sites')],
    ['controls', `${base}/controls`, t('nav_controls')],
    ['incidents', `${base}/incidents`, t('nav_incidents')],
    ['fleet', `${base}/fleet`, t('nav_fleet')],
    ['remediation', `${base}/remediation`, t('nav_remediation')],
  ] as const;
  return (
    <>
    {raw('<!DOCTYPE html>')}
    <html lang={web.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${t('app')}`}</title>
        <link rel="stylesheet" href={`${base}/static/app.css`} />
        {(props.scripts ?? []).map((s) => (
          <script type="module" src={`${base}/static/${s}`}></script>
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          {t('skip')}
        </a>
        <header class="top">
          <span class="brand">{t('app')}</span>
          {web.session ? (
            <nav aria-label={t('nav_label')}>
              <ul>
                {nav.map(([key, href, label]) => (
                  <li>
                    <a href={href} aria-current={props.current === key ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div class="tools">
            {web.session ? <span class="who">{`${t('platform')}: ${web.session.platform_name}`}</span> : null}
            <a href={withLang(web.path, other)} lang={other} hreflang={other} aria-label={t('lang_switch_label')}>
              {t('lang_switch')}
            </a>
            {web.session ? (
              <form method="post" action={`${base}/signout`} class="inline">
                <CsrfField csrf={web.session.csrf} />
                <button type="submit" class="link">
                  {t('sign_out')}
                </button>
              </form>
            ) : null}
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
    </>
  );
}
