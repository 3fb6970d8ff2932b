// Dashboard speed: first meaningful paint of the leaderboard and the zoom
// redraw of a 10,000-point telemetry overlay, in Debian's chromium on a warm `apex serve`
// (embedded data). Measured here, never asserted in a test.
//
//   node bench/dashboard_bench.mjs            # build/apex (Release), web/dist, 15 loads
//   RUNS=30 APEX_BINARY=/path/apex node bench/dashboard_bench.mjs
//
// Needs: a Release build of apex, the built dashboard (cd web && npm ci && npm run build),
// tests/node_modules (cd tests && npm ci: playwright-core) and /usr/bin/chromium.
//
// Leaderboard paint: the shared link /?track=&session= opened RUNS times, each in a fresh
// browser context (empty HTTP cache, like a first visit) and again in one context (the
// hashed assets cached, like a return visit). Per load: the Performance API's
// first-paint / first-contentful-paint, the mark the leaderboard sets on the frame after
// its table is in the page (apex:leaderboard-painted), and navigation start until
// Playwright sees the table's rows visible (includes its polling, an upper bound).
// Zoom: uPlot.setScale on a 10,000-point two-series overlay until the canvas is redrawn
// (uPlot redraws in a microtask; a zero timeout later the frame is drawn), and the same on
// the telemetry view's synchronised charts with ?points=10000.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startApexServe } from '../tests/e2e/apex_serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '..');
const binary = process.env.APEX_BINARY ?? path.join(source, 'build/apex');
const webDir = process.env.APEX_WEB_DIR ?? path.join(source, 'web/dist');
const chromiumPath = process.env.APEX_CHROMIUM ?? '/usr/bin/chromium';
const RUNS = Number(process.env.RUNS ?? 15);
const TRACK = process.env.TRACK ?? 'sonoma-raceway';
const SESSION = process.env.SESSION ?? 'R1';

const require = createRequire(path.join(source, 'tests/package.json'));
const { chromium } = require('playwright-core');

for (const file of [binary, path.join(webDir, 'index.html'), chromiumPath, path.join(source, 'web/node_modules/uplot/dist/uPlot.iife.min.js')]) {
  if (!fs.existsSync(file)) {
    console.error(`missing ${file} (see the header of ${path.relative(source, fileURLToPath(import.meta.url))})`);
    process.exit(1);
  }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), min: s[0], max: s[s.length - 1], n: s.length };
};
const fmt = (st) => `median ${st.median.toFixed(0)} ms (min ${st.min.toFixed(0)}, p90 ${st.p90.toFixed(0)}, max ${st.max.toFixed(0)}; n=${st.n})`;
const fmt1 = (st) => `median ${st.median.toFixed(1)} ms (min ${st.min.toFixed(1)}, p90 ${st.p90.toFixed(1)}, max ${st.max.toFixed(1)}; n=${st.n})`;

function startServer() {
  return startApexServe({ binary, source, webDir, env: { API_TOKEN: '' } });
}

async function loadLeaderboard(page, url) {
  await page.goto(url);
  await page.waitForSelector('[data-testid=leaderboard] tbody tr', { state: 'visible' });
  const seen = await page.evaluate(() => performance.now()); // navigation start = 0
  await page.waitForFunction(() => performance.getEntriesByName('apex:leaderboard-painted').length > 0);
  return page.evaluate((seen) => {
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
    return {
      fp: paint['first-paint'],
      fcp: paint['first-contentful-paint'],
      board: performance.getEntriesByName('apex:leaderboard-painted')[0].startTime,
      visible: seen,
    };
  }, seen);
}

async function main() {
  const load0 = os.loadavg();
  const server = startServer();
  const port = await server.port;
  const base = `http://127.0.0.1:${port}`;
  const link = `${base}/?track=${TRACK}&session=${SESSION}`;
  // Warm server: the session parsed and cached, as after the first visitor.
  for (const p of [`/api/analytics/tracks`, `/api/analytics/track/${TRACK}/sessions`, `/api/analytics/track/${TRACK}/session/${SESSION}/leaderboard`])
    await fetch(base + p, { headers: { Accept: 'application/json' } });

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const viewport = { width: 1280, height: 800 };
  try {
    // One throw-away load, so the browser process itself is warm.
    {
      const ctx = await browser.newContext({ viewport });
      await loadLeaderboard(await ctx.newPage(), link);
      await ctx.close();
    }
    const cold = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport });
      cold.push(await loadLeaderboard(await ctx.newPage(), link));
      await ctx.close();
    }
    const warm = [];
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    await loadLeaderboard(page, link);
    for (let i = 0; i < RUNS; i++) warm.push(await loadLeaderboard(page, link));

    console.log(`apex serve ${binary}, ${TRACK} ${SESSION}, chromium headless ${viewport.width}x${viewport.height}, warm server`);
    for (const [name, runs] of [['fresh context (empty browser cache)', cold], ['same context (assets cached)', warm]]) {
      console.log(`leaderboard, ${name}:`);
      console.log(`  first-contentful-paint     ${fmt(stats(runs.map((r) => r.fcp)))}`);
      console.log(`  leaderboard painted (mark) ${fmt(stats(runs.map((r) => r.board)))}`);
      console.log(`  rows visible (Playwright)  ${fmt(stats(runs.map((r) => r.visible)))}`);
    }

    // Synthetic overlay: two 10,000-point series, the dashboard's own uPlot build.
    await page.addScriptTag({ path: path.join(source, 'web/node_modules/uplot/dist/uPlot.iife.min.js') });
    const synthetic = await page.evaluate(async () => {
      const n = 10_000;
      const x = Float64Array.from({ length: n }, (_, i) => i * 0.4);
      const a = Float64Array.from(x, (d) => 120 + 80 * Math.sin(d / 90));
      const b = Float64Array.from(x, (d) => 118 + 82 * Math.sin(d / 88));
      const host = document.createElement('div');
      document.body.append(host);
      const u = new window.uPlot({ width: 900, height: 200, scales: { x: { time: false } }, series: [{}, { stroke: 'blue' }, { stroke: 'red' }] }, [x, a, b], host);
      const frame = () => new Promise((r) => setTimeout(r, 0));
      await frame();
      const times = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        u.setScale('x', { min: (i % 10) * 100, max: (i % 10) * 100 + 1000 + i * 150 });
        await frame();
        times.push(performance.now() - t0);
      }
      u.destroy();
      host.remove();
      return times;
    });
    console.log(`zoom redraw, 10,000-point two-series overlay (synthetic): ${fmt1(stats(synthetic))}`);

    // The telemetry view itself, asking the API for 10,000 points per trace.
    await page.goto(`${base}/?track=${TRACK}&session=${SESSION}&view=telemetry&points=10000`);
    await page.waitForSelector('[data-testid=delta-chart] canvas', { timeout: 60_000 });
    const real = await page.evaluate(async () => {
      const charts = [...document.querySelectorAll('.tele-charts .chart')].map((el) => el.uplot).filter(Boolean);
      const u = document.querySelector('[data-testid=delta-chart]').uplot;
      const points = charts.map((c) => c.data.slice(1).reduce((n, s) => n + s.length, 0));
      const xs = u.data[0];
      const span = xs[xs.length - 1] - xs[0];
      const frame = () => new Promise((r) => setTimeout(r, 0));
      const times = [];
      for (let i = 0; i < 20; i++) {
        const lo = xs[0] + span * 0.04 * (i % 10);
        const t0 = performance.now();
        u.setScale('x', { min: lo, max: lo + span * (0.2 + 0.03 * i) }); // the others follow (synchronised)
        await frame();
        times.push(performance.now() - t0);
      }
      return { times, charts: charts.length, points };
    });
    console.log(
      `zoom redraw, telemetry view ?points=10000 (${real.charts} synchronised charts, points per chart ${real.points.join('/')}): ${fmt1(stats(real.times))}`,
    );
    const load1 = os.loadavg();
    console.log(`load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error('dashboard bench failed:', e);
  process.exit(1);
});
