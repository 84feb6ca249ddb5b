#!/usr/bin/env node
// The cron trigger for `make dev`: `wrangler dev` never fires scheduled events by
// itself, so this ticks its scheduled-test endpoint (`--test-scheduled`) on the
// schedule in wrangler.toml, the way Cloudflare would after a deploy (webhook
// retries happen on a developer's machine too). It exits when `--pid` (wrangler) does.
//
//   node scripts/dev-cron.mjs --url http://127.0.0.1:8787 --pid 1234 [--config wrangler.toml]
//   DEV_CRON_SECONDS=5 …   ticks every cron every 5 s instead (tests, impatient developers)
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** `crons = [...]` of the config's `[triggers]` table. */
export function cronsOf(toml) {
  const triggers = /^\[triggers\][^[]*?^\s*crons\s*=\s*\[([^\]]*)\]/ms.exec(toml);
  return triggers ? [...triggers[1].matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => m[1] ?? m[2]) : [];
}

const NAMES = { month: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] };
const FIELDS = [['minute', 0, 59], ['hour', 0, 23], ['day', 1, 31], ['month', 1, 12], ['weekday', 0, 6]];

// One field (`*`, `5`, `1-5`, `*/15`, `mon-fri`, lists of those) as the set of values it allows.
function values(spec, [name, min, max]) {
  const number = (s) => {
    const i = NAMES[name]?.indexOf(s.toLowerCase()) ?? -1;
    if (i >= 0) return i + (name === 'month' ? 1 : 0);
    // Weekday numbers differ between cron dialects (0 or 1 for Sunday): only names are unambiguous.
    if (!/^\d+$/.test(s) || name === 'weekday') throw new Error(`cron field ${name} "${spec}": not supported here (use names for weekdays, or DEV_CRON_SECONDS)`);
    return Number(s);
  };
  const allowed = new Set();
  for (const part of spec.split(',')) {
    const [range, step = '1'] = part.split('/');
    const [lo, hi] = range === '*' || range === '?' ? [min, max] : range.includes('-') ? range.split('-').map(number) : [number(range), part.includes('/') ? max : number(range)];
    for (let v = lo; v <= hi; v += Number(step)) allowed.add(v);
  }
  return allowed;
}

/** Whether the five-field `cron` fires at `date` (UTC, as Cloudflare runs them). */
export function fires(cron, date) {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron "${cron}": five fields expected`);
  const [minute, hour, day, month, weekday] = parts.map((p, i) => values(p, FIELDS[i]));
  const dayMatches = parts[2] === '*' || parts[4] === '*' ? day.has(date.getUTCDate()) && weekday.has(date.getUTCDay()) : day.has(date.getUTCDate()) || weekday.has(date.getUTCDay());
  return minute.has(date.getUTCMinutes()) && hour.has(date.getUTCHours()) && month.has(date.getUTCMonth() + 1) && dayMatches;
}

/** Whether process `pid` still exists. */
function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function main() {
  const { values: args } = parseArgs({ options: { url: { type: 'string' }, pid: { type: 'string' }, config: { type: 'string', default: 'wrangler.toml' } } });
  const base = args.url ?? `http://127.0.0.1:${process.env.PORT || 8787}`;
  const pid = args.pid ? Number(args.pid) : null;
  const seconds = Number(process.env.DEV_CRON_SECONDS) || 0;

  /** Runs the Worker's scheduled handler once for `cron`; wrangler answers when the handler has finished. */
  const tick = async (cron, time) => {
    // wrangler 4's /cdn-cgi/handler/scheduled trips over worker-build's entrypoint (DataCloneError); /__scheduled works.
    const url = `${base}/__scheduled?cron=${encodeURIComponent(cron)}&time=${time.getTime()}`;
    try {
      const r = await fetch(url);
      if (!r.ok) console.error(`dev-cron: ${cron} → HTTP ${r.status}`);
    } catch (e) {
      console.error(`dev-cron: ${cron} → ${e.cause?.code ?? e.cause?.message ?? e.message}`); // wrangler still starting, or reloading
    }
  };

  const crons = cronsOf(readFileSync(args.config, 'utf8'));
  if (!crons.length) return console.log(`dev-cron: no crons in ${args.config}, nothing to tick`);
  crons.forEach((c) => fires(c, new Date())); // a schedule this cannot read fails now, not at its first tick
  console.log(`dev-cron: ticking ${crons.join(', ')} ${seconds ? `every ${seconds} s (DEV_CRON_SECONDS)` : 'on schedule (UTC)'} at ${base}`);
  if (pid !== null) setInterval(() => { if (!alive(pid)) process.exit(0); }, 500);
  if (seconds) {
    setInterval(() => crons.forEach((c) => tick(c, new Date())), seconds * 1000);
    return;
  }
  const nextMinute = () => {
    const now = Date.now();
    setTimeout(() => {
      const at = new Date(Math.round(Date.now() / 60_000) * 60_000);
      crons.filter((c) => fires(c, at)).forEach((c) => tick(c, at));
      nextMinute();
    }, 60_000 - (now % 60_000) + 50);
  };
  nextMinute();
}

// Run as a script (not imported by the test that checks the schedule parser).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
