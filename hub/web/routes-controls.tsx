// Control devices in the form (issues 17 and 19), through the hub's API in process: the list with
// each device's route ("home: a, backups: b, c"), add one, edit one (If-Match: someone else's
// change is shown, not overwritten), delete one. The route is the ordered list of sites the
// device takes commands from: ticked sites in the order shown, moved by ↑/↓ buttons that post
// the form and show it again (route-order.ts), so no script is needed and the keyboard works.
import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { Banner, CsrfField, Field, fieldAttrs } from './components.js';
import type { FieldErrors, WebContext, WebDeps, WebEnv } from './context.js';
import { errorPage } from './errors.js';
import type { T } from './i18n.js';
import { Page } from './layout.js';
import { moved, postedOrder, routeOf, shownOrder } from './route-order.js';
import { newToken } from './session.js';
import { Confirm, refusal, str } from './site-shared.js';

interface ControlView {
  id: string;
  name: string;
  phone: string;
  model: string;
  site_ids: string[];
}
interface SiteRow {
  id: string;
  name: string;
}
/** The form's values: `order` is every site as shown; `site_ids` the ticked ones. */
type Values = { name: string; phone: string; model: string; order: string[]; site_ids: string[]; key: string; version: string };
const FIELDS = ['name', 'phone', 'model', 'site_ids'] as const;

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 100);

/** "home: a · backups: b, c" */
export function routeText(t: T, route: readonly string[]): string {
  const [home, ...backups] = route;
  return [home ? t('route_list', { home }) : '', backups.length ? t('route_list_backups', { sites: backups.join(', ') }) : ''].filter(Boolean).join(' · ');
}

/** The route's rows: tick, position, ↑ and ↓ (the one just moved keeps the focus). */
function RouteField(p: { t: T; sites: SiteRow[]; values: Values; errors: FieldErrors; focus: string | null }) {
  const { t, values, errors } = p;
  const byId = new Map(p.sites.map((s) => [s.id, s]));
  const ticked = new Set(values.site_ids);
  const route = routeOf(values.order, values.site_ids);
  return (
    <fieldset class="field" data-field="site_ids" aria-describedby="f-site_ids-hint f-site_ids-err">
      <legend>{t('control_sites')}</legend>
      <p class="hint" id="f-site_ids-hint">
        {t('route_hint')}
      </p>
      <ol class="route" id="route">
        {values.order.map((id, i) => {
          const s = byId.get(id);
          const name = s?.name ?? id;
          const at = route.indexOf(id);
          return (
            <li data-site={id}>
              <input type="hidden" name="order" value={id} />
              <label class="check">
                <input type="checkbox" name="site_ids" value={id} checked={ticked.has(id)} aria-invalid={errors.site_ids ? 'true' : undefined} /> {name} <code>{id}</code>
              </label>
              <span class="route-pos muted">{at < 0 ? t('route_pos_off') : at === 0 ? t('route_pos_home') : t('route_pos_backup', { n: at + 1 })}</span>
              <span class="route-moves">
                <button type="submit" name="move" value={`up:${id}`} aria-label={t('route_up', { name })} disabled={i === 0} autofocus={p.focus === `up:${id}` || (p.focus === `down:${id}` && i === values.order.length - 1)}>
                  ↑
                </button>
                <button type="submit" name="move" value={`down:${id}`} aria-label={t('route_down', { name })} disabled={i === values.order.length - 1} autofocus={p.focus === `down:${id}` && i < values.order.length - 1}>
                  ↓
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <p class="error" id="f-site_ids-err" data-error-for="site_ids" hidden={!errors.site_ids}>
        {errors.site_ids ?? ''}
      </p>
    </fieldset>
  );
}

function ControlForm(p: { c: WebContext; w: WebDeps; action: string; submit: string; sites: SiteRow[]; values: Values; errors: FieldErrors; focus: string | null }) {
  const { t } = p.c.get('web');
  const { values, errors } = p;
  const models = [...p.w.deps.catalogs.keys()];
  return (
    <form method="post" action={p.action} class="card narrow" id="control-form" novalidate>
      {/* Enter in a text field saves (the first submit button is the default), not a move. */}
      <button type="submit" class="sr-only" tabindex={-1} aria-hidden="true">
        {p.submit}
      </button>
      <CsrfField csrf={p.c.get('session').csrf} />
      <input type="hidden" name="key" value={values.key} />
      <input type="hidden" name="version" value={values.version} />
      <Field name="name" label={t('control_name')} errors={errors}>
        <input type="text" value={values.name} maxlength={200} {...fieldAttrs('name', errors)} />
      </Field>
      <Field name="phone" label={t('control_phone')} hint={t('control_phone_hint')} errors={errors}>
        <input type="tel" value={values.phone} maxlength={21} autocomplete="off" {...fieldAttrs('phone', errors, true)} />
      </Field>
      <Field name="model" label={t('control_model')} errors={errors}>
        <select {...fieldAttrs('model', errors)}>
          {[...models, 'generic'].map((m) => (
            <option value={m} selected={m === values.model}>
              {m === 'generic' ? t('control_model_generic') : m}
            </option>
          ))}
        </select>
      </Field>
      <RouteField t={t} sites={p.sites} values={values} errors={errors} focus={p.focus} />
      <button type="submit" class="primary">
        {p.submit}
      </button>
    </form>
  );
}

export function controlRoutes(app: Hono<WebEnv>, w: WebDeps): void {
  const controls = async (c: WebContext) => {
    const r = await c.get('api')<{ items: ControlView[] }>('GET', '/control-devices');
    return r.ok ? r.data.items : [];
  };
  const sites = async (c: WebContext): Promise<SiteRow[]> => {
    const r = await c.get('api')<{ items: SiteRow[] }>('GET', '/sites');
    return r.ok ? r.data.items : [];
  };
  const empty = (siteIds: string[]): Values => ({ name: '', phone: '', model: [...w.deps.catalogs.keys()][0] ?? 'generic', order: siteIds, site_ids: [], key: newToken(18), version: '' });
  /** The posted form: fields, the order made whole, and the move asked for (if any). */
  const posted = async (c: WebContext, siteIds: string[]): Promise<{ values: Values; move: string | null }> => {
    const b = await c.req.parseBody({ all: true });
    const ticked = list(b.site_ids).slice(0, 50);
    const move = typeof b.move === 'string' ? b.move : null;
    const order = moved(postedOrder(list(b.order), ticked, siteIds), move ?? '');
    return { values: { name: str(b.name), phone: str(b.phone).replace(/[\s()-]/g, ''), model: str(b.model), order, site_ids: ticked, key: str(b.key).slice(0, 64) || newToken(18), version: str(b.version).slice(0, 200) }, move };
  };
  const body = (v: Values) => ({ name: v.name, phone: v.phone, model: v.model, site_ids: routeOf(v.order, v.site_ids) });

  const listPage = async (c: WebContext, values: Values | null, errors: FieldErrors, banner: string | null, status: 200 | 400 = 200, flash: Child = null, focus: string | null = null) => {
    const web = c.get('web');
    const { t } = web;
    const [items, siteList] = await Promise.all([controls(c), sites(c)]);
    const v = values ?? empty(siteList.map((s) => s.id));
    return c.html(
      <Page web={web} base={w.base} title={t('controls_title')} current="controls">
        {flash}
        {banner ? <Banner kind="error">{banner}</Banner> : null}
        {items.length === 0 ? (
          <p>{t('controls_empty')}</p>
        ) : (
          <ul class="cards" id="controls">
            {items.map((d) => (
              <li class="card" data-control={d.id}>
                <strong>{d.name}</strong> <code>{d.phone}</code> · {d.model} · <span class="route-text">{routeText(t, d.site_ids)}</span> ·{' '}
                <a href={`${w.base}/controls/${encodeURIComponent(d.id)}/edit`} aria-label={`${t('control_edit')}: ${d.name}`}>
                  {t('control_edit')}
                </a>
                {' · '}
                <a href={`${w.base}/controls/${encodeURIComponent(d.id)}/delete`} aria-label={`${t('delete')}: ${d.name}`}>
                  {t('delete')}
                </a>
              </li>
            ))}
          </ul>
        )}
        <h2>{t('control_new')}</h2>
        <ControlForm c={c} w={w} action={`${w.base}/controls`} submit={t('control_create')} sites={siteList} values={v} errors={errors} focus={focus} />
      </Page>,
      status,
    );
  };

  app.get('/controls', (c) => {
    const msg = c.req.query('msg');
    const { t } = c.get('web');
    return listPage(c, null, {}, null, 200, msg === 'control_deleted' ? <Banner kind="ok">{t('control_deleted')}</Banner> : msg === 'control_saved' ? <Banner kind="ok">{t('route_saved')}</Banner> : null);
  });
  app.post('/controls', async (c) => {
    const siteIds = (await sites(c)).map((s) => s.id);
    const { values, move } = await posted(c, siteIds);
    if (move) return listPage(c, values, {}, null, 200, null, move);
    const r = await c.get('api')<ControlView>('POST', '/control-devices', body(values), { 'idempotency-key': values.key });
    if (r.ok) return listPage(c, null, {}, null, 200, <Banner kind="ok">{c.get('web').t('control_created', { name: r.data.name })}</Banner>);
    const { errors, banner } = refusal(c, r, FIELDS);
    return listPage(c, values, errors, banner, 400);
  });

  const editPage = async (c: WebContext, d: ControlView, values: Values, errors: FieldErrors, banner: string | null, status: 200 | 400 | 409 = 200, focus: string | null = null) => {
    const web = c.get('web');
    const siteList = await sites(c);
    return c.html(
      <Page web={web} base={w.base} title={web.t('control_edit_title', { name: d.name })} current="controls">
        {banner ? <Banner kind="error">{banner}</Banner> : null}
        <ControlForm c={c} w={w} action={`${w.base}/controls/${encodeURIComponent(d.id)}/edit`} submit={web.t('control_save')} sites={siteList} values={values} errors={errors} focus={focus} />
      </Page>,
      status,
    );
  };
  const read = async (c: WebContext) => {
    const r = await c.get('api')<ControlView>('GET', `/control-devices/${encodeURIComponent(c.req.param('id') ?? '')}`);
    return r.ok ? { d: r.data, version: r.etag ?? '' } : null;
  };
  const valuesOf = (d: ControlView, version: string, siteIds: string[]): Values => ({ name: d.name, phone: d.phone, model: d.model, order: shownOrder(d.site_ids, siteIds), site_ids: d.site_ids, key: '', version });

  app.get('/controls/:id/edit', async (c) => {
    const got = await read(c);
    if (!got) return errorPage(c, w, 404, c.get('web').t('not_found'));
    return editPage(c, got.d, valuesOf(got.d, got.version, (await sites(c)).map((s) => s.id)), {}, null);
  });
  app.post('/controls/:id/edit', async (c) => {
    const { t } = c.get('web');
    const got = await read(c);
    if (!got) return errorPage(c, w, 404, t('not_found'));
    const siteIds = (await sites(c)).map((s) => s.id);
    const { values, move } = await posted(c, siteIds);
    if (move) return editPage(c, got.d, values, {}, null, 200, move);
    const r = await c.get('api')<ControlView>('PUT', `/control-devices/${encodeURIComponent(got.d.id)}`, body(values), values.version ? { 'if-match': values.version } : {});
    if (r.ok) return c.redirect(`${w.base}/controls?msg=control_saved`, 303);
    // Someone else saved meanwhile: show what is stored now, with the new version.
    if (r.status === 412) return editPage(c, got.d, valuesOf(got.d, got.version, siteIds), {}, t('control_conflict'), 409);
    const { errors, banner } = refusal(c, r, FIELDS);
    return editPage(c, got.d, values, errors, banner, 400);
  });

  const one = async (c: WebContext) => (await controls(c)).find((d) => d.id === c.req.param('id')) ?? null;
  app.get('/controls/:id/delete', async (c) => {
    const { t } = c.get('web');
    const d = await one(c);
    if (!d) return errorPage(c, w, 404, t('not_found'));
    return c.html(<Confirm c={c} w={w} title={t('delete')} text={t('control_delete_confirm', { name: d.name })} action={`${w.base}/controls/${encodeURIComponent(d.id)}/delete`} yes={t('delete_yes')} back={`${w.base}/controls`} current="controls" />);
  });
  app.post('/controls/:id/delete', async (c) => {
    const { t } = c.get('web');
    const d = await one(c);
    if (!d) return errorPage(c, w, 404, t('not_found'));
    const r = await c.get('api')('DELETE', `/control-devices/${encodeURIComponent(d.id)}`);
    if (r.ok) return c.redirect(`${w.base}/controls?msg=control_deleted`, 303);
    return errorPage(c, w, 409, r.error.code === 'in_use' ? t('control_in_use', { name: d.name }) : (refusal(c, r, []).banner ?? t('error_title')));
  });
}
