// The stylesheet: readable, high-contrast, visible focus, usable at 375 px (tables become cards).
export const APP_CSS = String.raw`
:root { --fg: #1b1f24; --muted: #57606a; --bg: #fff; --line: #d0d7de; --accent: #0b5cad; --bad: #b3261e; --ok: #1a7f37; --warn: #9a6700; --soft: #f6f8fa; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 16px; line-height: 1.45; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.js .nojs { display: none; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top .brand { font-weight: 700; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--accent); }
header.top .tools { margin-left: auto; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.who { color: var(--muted); }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
main:focus, #step-title:focus { outline: none; }
header.top .tools form.inline { display: inline-flex; }
header.top .tools button.link { padding: 0; line-height: inherit; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; }
h3 { font-size: 1.05rem; margin: .5rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.narrow { max-width: 32rem; }
.field { display: flex; flex-direction: column; gap: .25rem; margin: 0 0 .9rem; min-width: 0; }
.field.narrow { max-width: 10rem; }
.field.check { flex-direction: row; }
label { font-weight: 600; }
label:has(input[type=checkbox]), label:has(input[type=radio]) { font-weight: 400; }
input[type=text], input[type=search], input[type=password], input[type=date], select, textarea { font: inherit; padding: .45rem .55rem; border: 1px solid #8c959f; border-radius: 6px; width: 100%; background: #fff; color: inherit; }
textarea { resize: vertical; }
[aria-invalid="true"] { border-color: var(--bad); border-width: 2px; }
.error { color: var(--bad); margin: .15rem 0; font-weight: 600; }
.error[hidden] { display: none; }
.hint, .muted { color: var(--muted); margin: .1rem 0; font-size: .92rem; }
button, .button { font: inherit; display: inline-block; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #8c959f; background: #fff; color: var(--fg); cursor: pointer; text-decoration: none; min-height: 2.5rem; }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger, a.danger { color: var(--bad); }
button.danger { border-color: var(--bad); }
button.link { border: 0; background: none; color: var(--accent); text-decoration: underline; padding: .2rem; min-height: 0; }
button:disabled { opacity: .5; cursor: default; }
form.inline { display: inline; }
.row { display: flex; gap: .75rem; align-items: flex-start; }
.row.wrap { flex-wrap: wrap; }
.row > .field { flex: 1 1 12rem; }
.search .row input { flex: 1; }
.banner { padding: .7rem 1rem; border-radius: 6px; margin: 0 0 1rem; border: 1px solid; }
.banner.ok { border-color: var(--ok); background: #e6f4ea; }
.banner.error { border-color: var(--bad); background: #fdecea; }
.hint.over { color: var(--bad); font-weight: 600; }
.banner.warn { border-color: #b26a00; background: #fff4e0; }
.versions { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 18rem), 1fr)); }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem; border: 1px solid var(--line); white-space: nowrap; }
.st-ok, .on-online { background: #e6f4ea; border-color: var(--ok); }
.st-pending, .st-cooldown { background: #fff8c5; border-color: var(--warn); }
.st-firing, .on-offline { background: #fdecea; border-color: var(--bad); }
.st-no_data, .st-disabled, .on-unknown { background: var(--soft); }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: .5rem; }
.filters .field { flex: 1 1 10rem; margin: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.acts { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.pager { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; }
ol.steps { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .75rem; list-style: none; padding: 0; margin: 0 0 .5rem; }
ol.steps li > button.link, ol.steps li > span[aria-current] { display: inline-flex; align-items: center; gap: .3rem; min-height: 2.5rem; padding: 0 .3rem; margin: 0; line-height: 1.2; }
ol.steps li { color: var(--muted); display: flex; align-items: center; }
ol.steps li.current { color: var(--fg); font-weight: 700; }
ol.steps .num { text-decoration: none; flex: none; display: inline-block; width: 1.6rem; height: 1.6rem; line-height: 1.6rem; text-align: center; border-radius: 50%; border: 1px solid var(--line); margin-right: .2rem; }
ol.steps li.current .num { background: var(--accent); color: #fff; border-color: var(--accent); }
ol.steps li.done .num { background: #e6f4ea; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 1rem; padding: .75rem 1rem; min-width: 0; }
legend { font-weight: 700; padding: 0 .3rem; }
fieldset.radios label, fieldset.days label { margin-right: 1rem; display: inline-block; }
ul.results, ul.checks { list-style: none; padding: 0; margin: 0; }
ul.results li { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; padding: .5rem 0; border-bottom: 1px solid var(--line); }
ul.results li .dev { flex: 1 1 14rem; }
ul.results li.chosen { background: #eef5fc; }
ul.checks li { padding: .35rem 0; border-bottom: 1px solid var(--line); }
ul.checks label { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.val, p.current { color: var(--muted); font-variant-numeric: tabular-nums; }
p.current { margin: 2rem 0 0; }
label.site { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; padding: .35rem 0; }
.counter { display: block; font-variant-numeric: tabular-nums; color: var(--muted); }
.preview, .dry { background: var(--soft); border-radius: 8px; padding: .5rem 1rem; margin: 1rem 0; }
.chosen-device { font-weight: 600; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; overflow-wrap: anywhere; }
dd.fire { color: var(--bad); font-weight: 700; }
.actions { display: flex; gap: .75rem; justify-content: space-between; margin-top: 1rem; flex-wrap: wrap; }
.actions .primary { margin-left: auto; }
ol.timeline { padding-left: 1.2rem; }
ol.timeline li { margin: .3rem 0; }
.oc-recovered, .dl-delivered, .ph-done { background: #e6f4ea; border-color: var(--ok); }
.oc-not_recovered, .dl-failed, .ph-held { background: #fdecea; border-color: var(--bad); }
.oc-unknown, .ph-armed, .dl-pending { background: var(--soft); }
.ph-running, .dl-retrying { background: #fff8c5; border-color: var(--warn); }
ol.playbook { padding-left: 1.4rem; }
ol.playbook li { margin: .3rem 0; }
ul.devices { list-style: none; padding: 0; margin: .2rem 0 0; display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
ul.webhooks { list-style: none; padding: 0; display: grid; gap: .75rem; }
ul.deliveries { padding-left: 1.2rem; margin: .2rem 0; }
.acts { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
#webhook-add { margin-top: 1rem; max-width: 40rem; }
.settings fieldset .row > .field { flex: 1 1 12rem; }
dl.tiles { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
dl.tiles > div { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem; min-width: 10rem; }
dl.tiles dt { color: var(--muted); font-size: .9rem; }
dl.tiles dd { margin: 0; font-size: 1.4rem; font-weight: 700; font-variant-numeric: tabular-nums; }
figure.chart { margin: 0 0 1rem; overflow-x: auto; }
svg.bars { display: block; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .tick { font-size: 11px; fill: var(--muted); }
.o-recovered { fill: #1a7f37; }
.o-not_recovered { fill: #b3261e; }
.o-unknown { fill: #8c959f; }
.o-escalated { fill: #9a6700; }
.o-cancelled { fill: #0b5cad; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .25rem 0; }
a.csv { font-size: .9rem; font-weight: 400; margin-left: .5rem; }
#failover .failover-after { max-width: 16rem; margin-left: 1.6rem; }
ol.route { list-style: none; padding: 0; margin: .25rem 0; }
ol.route li { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .75rem; padding: .35rem 0; border-bottom: 1px solid var(--line); }
ol.route li label.check { display: flex; gap: .5rem; align-items: center; flex: 1 1 12rem; }
ol.route .route-pos { flex: 0 0 auto; min-width: 7rem; }
ol.route .route-moves { display: flex; gap: .25rem; margin-left: auto; }
ol.route .route-moves button { min-width: 2.75rem; }
ul.modems, ol.hops { margin: 0; padding-left: 1.1rem; }
ul.modems li, ol.hops li { margin: .15rem 0; }
.md-up { background: #e6f4ea; border-color: var(--ok); }
.md-init { background: #fff8c5; border-color: var(--warn); }
.md-down { background: #fdecea; border-color: var(--bad); }
code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: .9em; overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  table, thead, tbody, tr, th, td { display: block; }
  thead { position: absolute; left: -9999px; }
  tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: .75rem; padding: .25rem .5rem; }
  td { border: 0; padding: .25rem 0; }
  td::before { content: attr(data-label); display: block; font-size: .8rem; color: var(--muted); }
  td.acts::before { flex-basis: 100%; }
  dl.summary { grid-template-columns: 1fr; }
  header.top .tools { margin-left: 0; }
}
`;
