// Results: the program's totals and a chart of referred activity per day.
import { api, programPath } from '../api.js';
import { h, svg, card, money, failure } from '../dom.js';

const SERIES = [['visits', 'Visits', 's1'], ['signups', 'Signups', 's2'], ['conversions', 'Conversions', 's3']];

export async function render(container, program) {
  const range = h('select', { id: 'results-range' }, [7, 30, 90, 365].map((d) => h('option', { value: d, selected: d === 30 }, `Last ${d} days`)));
  const out = h('div', { 'aria-live': 'polite' });
  const show = async () => {
    const stats = await api('GET', programPath(program.id, `/stats?days=${range.value}`));
    const t = stats.totals;
    out.replaceChildren(
      h('dl', { class: 'totals' }, [['Visits', t.visits], ['Signups', t.signups], ['Conversions', t.conversions], ['Revenue', money(t.revenue, program.currency)], ['Rewards', money(t.rewards, program.currency)]]
        .map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value)))),
      chart(stats.daily),
      h('ul', { class: 'legend' }, SERIES.map(([, label, cls]) => h('li', { class: cls }, label))),
      h('details', {}, h('summary', {}, 'Show as a table'), dataTable(stats.daily, program.currency)));
  };
  range.addEventListener('change', () => show().catch((e) => out.replaceChildren(failure(e))));
  container.replaceChildren(card({ id: 'results', title: 'Results', aside: h('label', { class: 'inline' }, 'Period ', range) },
    h('p', { class: 'muted' }, 'Referred visits, signups and sales (conversions), revenue from referred customers net of refunds, and rewards earned, in the program’s currency. Days are UTC.'),
    out));
  await show();
}

/** A line chart as inline SVG: one polyline per series, the y axis from 0 to a round maximum. */
function chart(daily) {
  const [W, H, L, B, T] = [640, 220, 36, 22, 10];
  const top = niceMax(Math.max(1, ...daily.flatMap((d) => SERIES.map(([k]) => d[k]))));
  const x = (i) => L + 14 + (daily.length === 1 ? (W - L - 28) / 2 : (i * (W - L - 28)) / (daily.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const grid = [0, top / 2, top].map((v) => [
    svg('line', { class: 'grid', x1: L, x2: W, y1: y(v), y2: y(v) }),
    svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatTick(v)),
  ]);
  const labels = [0, Math.floor((daily.length - 1) / 2), daily.length - 1].filter((i, n, all) => all.indexOf(i) === n)
    .map((i) => svg('text', { x: x(i), y: H - 4, 'text-anchor': i === 0 ? 'start' : i === daily.length - 1 ? 'end' : 'middle' }, daily[i].date));
  // Visits as bars behind; signups and conversions as lines with a dot on each day that has some.
  const bar = Math.max(2, Math.min(24, (W - L) / daily.length - 4));
  const bars = daily.map((d, i) => svg('rect', { x: (x(i) - bar / 2).toFixed(1), y: y(d.visits).toFixed(1), width: bar.toFixed(1), height: (y(0) - y(d.visits)).toFixed(1) }));
  const lines = SERIES.slice(1).map(([key, , cls]) => [
    svg('polyline', { class: cls, points: daily.map((d, i) => `${x(i).toFixed(1)},${y(d[key]).toFixed(1)}`).join(' ') }),
    daily.map((d, i) => (d[key] ? svg('circle', { class: cls, cx: x(i).toFixed(1), cy: y(d[key]).toFixed(1), r: 3.5 }) : null)),
  ]);
  const sum = (k) => daily.reduce((s, d) => s + d[k], 0);
  const summary = `${daily.length} days from ${daily[0].date} to ${daily.at(-1).date}: ${SERIES.map(([k, label]) => `${sum(k)} ${label.toLowerCase()}`).join(', ')}.`;
  return svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' },
    svg('title', { id: 'chart-title' }, 'Referred activity per day'), svg('desc', { id: 'chart-desc' }, summary), grid, labels, bars, lines);
}

function niceMax(v) {
  const step = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * step).find((n) => n >= v);
}

const formatTick = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

function dataTable(daily, currency) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Date', 'Visits', 'Signups', 'Conversions', 'Revenue'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
    h('tbody', {}, daily.map((d) => h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, d.visits), h('td', { class: 'num' }, d.signups), h('td', { class: 'num' }, d.conversions), h('td', { class: 'num' }, money(d.revenue, currency)))))));
}
