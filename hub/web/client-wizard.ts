// The wizard's small browser script (served as /ui/static/wizard.js, an ES module): live device
// search, validation as you type (POST .../wizard/check, the API's rules on the server), the
// plain-words preview, the live SMS counter, refresh on dependent selects, and focus handling.
export const WIZARD_JS = String.raw`
import { planSms, renderTemplate } from './sms.js';

const form = document.querySelector('form[data-wizard]');
if (form) init(form);

function debounce(fn, ms) {
  let h = 0;
  return function () { clearTimeout(h); h = setTimeout(fn, ms); };
}

function byName(name) {
  return Array.from(form.elements).filter(function (el) { return el.name === name; });
}

function init(form) {
  document.documentElement.classList.add('js');
  const touched = new Set();
  const errorEls = function () { return Array.from(form.querySelectorAll('[data-error-for]')); };

  // Focus: the first field with an error, else a field asked for, else the step title.
  const firstError = errorEls().find(function (el) { return !el.hidden; });
  const focusName = form.dataset.focus;
  let target = null;
  if (firstError) target = byName(firstError.dataset.errorFor)[0] || null;
  if (!target && focusName) target = byName(focusName)[0] || null;
  if (!target) target = form.querySelector('[data-live-search]') || document.getElementById('step-title');
  if (target) target.focus();
  errorEls().forEach(function (el) { if (!el.hidden) touched.add(el.dataset.errorFor); });

  // Dependent fields: the server renders the step again and only the part that depends on the
  // changed field is replaced, so focus (and a select's type-ahead) stay where they are.
  // Refreshes run one after another, each sending the form as it is when its turn comes, so
  // one queued refresh per area is enough: a burst of changes (arrow keys walking a select)
  // costs at most two requests, and a slow answer can never overwrite a newer state.
  let chain = Promise.resolve();
  const queued = new Map();
  function refresh(el) {
    const key = el.getAttribute('data-refresh');
    const waiting = queued.has(key);
    queued.set(key, el);
    if (waiting) return;
    chain = chain.then(function () {
      const latest = queued.get(key);
      queued.delete(key);
      return refreshNow(latest);
    });
  }
  function refreshNow(el) {
    const body = new FormData(form);
    body.set('go', 'refresh');
    body.set('focus', el.name);
    const targetId = el.getAttribute('data-refresh');
    return fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, 'text/html');
        const fresh = doc.getElementById(targetId);
        const old = document.getElementById(targetId);
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
        const draft = doc.querySelector('input[name="draft"]');
        if (draft) form.querySelector('input[name="draft"]').value = draft.value;
        count();
        // The replaced part may hold live texts (rendered SMS, errors): validate again.
        check();
        form.dataset.refreshed = String(Number(form.dataset.refreshed || 0) + 1);
      })
      .catch(function () { form.submit(); });
  }
  form.addEventListener('change', function (ev) {
    const el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute('data-refresh')) refresh(el);
  });

  // Live device search (step 1).
  const search = form.querySelector('[data-live-search]');
  const results = document.getElementById('device-results');
  if (search && results) {
    search.addEventListener('input', debounce(function () {
      fetch(form.dataset.devices + '?q=' + encodeURIComponent(search.value), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error(String(r.status))); })
        .then(function (html) { results.innerHTML = html; })
        .catch(function () { /* the Find button still works */ });
    }, 250));
  }

  // Live SMS counter (free text).
  function count() {
    const area = form.querySelector('textarea[data-sms]');
    const counter = document.getElementById('sms-counter');
    if (!area || !counter) return;
    const values = JSON.parse(area.dataset.values || '{}');
    const text = renderTemplate(area.value, values);
    const plan = planSms(text);
    counter.textContent = area.dataset.fmt
      .replace('{chars}', String(plan.chars))
      .replace('{parts}', String(plan.parts))
      .replace('{encoding}', plan.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2');
    counter.dataset.parts = String(plan.parts);
    // The limit is on the page before it is hit; past it, it is marked.
    const limit = document.getElementById('sms-limit');
    if (limit) limit.classList.toggle('over', plan.parts > Number(counter.dataset.max || 3));
    counter.dataset.encoding = plan.encoding;
  }
  form.addEventListener('input', function (ev) {
    if (ev.target && ev.target.matches && ev.target.matches('textarea[data-sms]')) count();
  });
  count();

  // Current value beside the threshold follows the chosen metric (step 3).
  const valuesHolder = form.querySelector('[data-values]:not(textarea)');
  form.querySelectorAll('[data-metric-select]').forEach(function (sel, i) {
    sel.addEventListener('change', function () {
      const cur = form.querySelector('[data-current-for="' + i + '"]');
      const values = valuesHolder ? JSON.parse(valuesHolder.dataset.values || '{}') : {};
      if (cur && cur.textContent) cur.textContent = cur.textContent.replace(/:\s.*$/, ': ' + (values[sel.value] || '—'));
    });
  });

  // Validation as you type, with the API's rules (server side).
  let seq = 0;
  const check = debounce(function () {
    const mine = ++seq;
    const body = new FormData(form);
    fetch(form.dataset.check, { method: 'POST', body: body, credentials: 'same-origin', headers: { 'x-csrf-token': String(body.get('_csrf') || '') } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) { if (res && mine === seq) show(res); })
      .catch(function () { /* the server checks again on Next */ });
  }, 300);

  // A message shows once the operator has touched its field (or a field inside it).
  function isTouched(name) {
    if (touched.has(name) || (name === 'conditions' && touched.has('metric'))) return true;
    return Array.from(touched).some(function (t) { return t.indexOf(name + '.') === 0; });
  }

  function show(res) {
    errorEls().forEach(function (el) {
      const name = el.dataset.errorFor;
      const msg = res.errors[name];
      if (!isTouched(name)) return;
      el.textContent = msg || '';
      el.hidden = !msg;
      byName(name).forEach(function (input) {
        if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
      });
    });
    const preview = document.getElementById('preview');
    if (preview && res.preview) preview.textContent = res.preview;
    const rendered = document.getElementById('sms-rendered');
    if (rendered && typeof res.sms_line === 'string') rendered.textContent = res.sms_line;
  }

  form.addEventListener('input', function (ev) {
    if (ev.target && ev.target.name && ev.target.name !== 'q') { touched.add(ev.target.name); check(); }
  });
  form.addEventListener('change', function (ev) {
    if (ev.target && ev.target.name && ev.target.name !== 'q') { touched.add(ev.target.name); check(); }
  });
}
`;
