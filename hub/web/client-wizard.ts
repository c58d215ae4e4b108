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

  // Dependent fields re-render the step on the server.
  form.addEventListener('change', function (ev) {
    const el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute('data-refresh')) {
      const go = document.createElement('input');
      go.type = 'hidden'; go.name = 'go'; go.value = 'refresh';
      const focus = document.createElement('input');
      focus.type = 'hidden'; focus.name = 'focus'; focus.value = el.name;
      form.appendChild(go); form.appendChild(focus);
      form.submit();
    }
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
  const area = form.querySelector('textarea[data-sms]');
  const counter = document.getElementById('sms-counter');
  function count() {
    if (!area || !counter) return;
    const values = JSON.parse(area.dataset.values || '{}');
    const text = renderTemplate(area.value, values);
    const plan = planSms(text);
    counter.textContent = area.dataset.fmt
      .replace('{chars}', String(plan.chars))
      .replace('{parts}', String(plan.parts))
      .replace('{encoding}', plan.encoding === 'gsm7' ? 'GSM 7-bit' : 'UCS2');
    counter.dataset.parts = String(plan.parts);
    counter.dataset.encoding = plan.encoding;
  }
  if (area) { area.addEventListener('input', count); count(); }

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

  function show(res) {
    errorEls().forEach(function (el) {
      const name = el.dataset.errorFor;
      const msg = res.errors[name];
      if (!touched.has(name)) return;
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
