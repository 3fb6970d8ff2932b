// End-to-end test of the original service's React frontend (../shared/original-frontend,
// unchanged) against APEX in Debian's chromium: builds it, serves it with
// `apex serve --web-dir` over the real races of ../shared/data/gr-cup and over the embedded
// telemetry track, selects every driver of every session it walks, and checks what the
// screen shows: no placeholder that reads as a number ("0:00.000", "NaN", "undefined", a
// bare "%" or "m"), no "Track record!" for a lap slower than the record APEX answers, no bar
// wider than 100 %, the original's error text for a known driver without valid laps, and
// the best lap on screen equal to APEX's answer. Exits 77 (skipped) where ../shared is absent.
// With APEX_UPDATE_SCREENSHOTS=1 it refreshes docs/screenshots/original-*.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startApexServe } from './apex_serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = process.env.APEX_SOURCE_DIR ?? path.resolve(here, '../..');
const binary = process.env.APEX_BINARY ?? path.join(source, 'build/apex');
const output = process.env.APEX_E2E_OUTPUT ?? path.join(source, 'tests/output/e2e');
const chromiumPath = process.env.APEX_CHROMIUM ?? '/usr/bin/chromium';
const shared = path.resolve(source, '../shared');
const frontendSource = path.join(shared, 'original-frontend');
const realData = path.join(shared, 'data', 'gr-cup');
const TIMEOUT_MS = 600_000;
// Sessions walked per server: every session of every real track, and the embedded track
// whose committed telemetry feeds the speed, braking and AMICOS panels.
const MIN_REAL_RACES = 4;

const log = (...args) => console.log('[original-frontend]', ...args);

if (!fs.existsSync(path.join(frontendSource, 'package.json')) || !fs.existsSync(realData)) {
  console.log(`[original-frontend] SKIPPED: needs ${frontendSource} and ${realData}`);
  process.exit(77);
}

const require = createRequire(path.join(source, 'tests/package.json'));
const { chromium } = require('playwright-core');

const watchdog = setTimeout(() => {
  console.error(`[original-frontend] FAILED: still running after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);

// Builds the frontend as ORIGIN.md says (npm ci, vite build) in a copy under the test
// output; a second run with the same lockfile and sources reuses the build.
function buildFrontend() {
  const copy = path.join(output, 'original-frontend');
  const hash = crypto.createHash('sha256');
  for (const file of listFiles(frontendSource)) hash.update(file).update(fs.readFileSync(path.join(frontendSource, file)));
  const stamp = path.join(copy, '.apex-built');
  const digest = hash.digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return path.join(copy, 'dist');
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(frontendSource, copy, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', copy]);
  log('npm ci and vite build in', copy);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('npx', ['vite', 'build'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'] });
  fs.writeFileSync(stamp, digest);
  return path.join(copy, 'dist');
}

function listFiles(dir, prefix = '') {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

const formatTime = (s) => `${Math.floor(s / 60)}:${(s % 60).toFixed(3).padStart(6, '0')}`;

// What the screen must never show, each with the reason a user would misread it.
const NONSENSE = [
  [/0:00\.000/, 'a zero lap time'],
  [/NaN/, 'NaN'],
  [/undefined/, 'undefined'],
  [/(^|[^0-9.])%/m, 'a bare %'],
  [/^\s*m\s*$/m, 'a bare m'],
];

// The rendered page of one driver: its text, and every inline width in %.
async function screenFacts(page) {
  return page.evaluate(() => ({
    text: document.body.innerText,
    widths: [...document.querySelectorAll('[style*="width"]')]
      .map((e) => e.style.width)
      .filter((w) => w.endsWith('%'))
      .map((w) => Number.parseFloat(w)),
  }));
}

// Selects a driver and waits for the six per-driver answers the components ask for, then
// for React to render them; returns the answers by route name.
const DRIVER_ROUTES = ['performance', 'consistency', 'amicos-analysis', 'detailed-performance', 'speed-analysis', 'braking-analysis'];
async function showDriver(page, driver) {
  const answers = {};
  const waits = DRIVER_ROUTES.map((route) =>
    page
      .waitForResponse((r) => r.url().endsWith(`/driver/${encodeURIComponent(driver)}/${route}`))
      .then(async (r) => (answers[route] = { status: r.status(), body: await r.json() }))
      .catch((e) => {
        throw new Error(`${route} of ${driver}: ${e.message}`);
      }),
  );
  // Through the empty choice, so the driver already shown is asked for again.
  await page.locator('select').nth(2).selectOption('');
  await page.locator('select').nth(2).selectOption(driver);
  await Promise.all(waits);
  await page.waitForFunction(() => !/Loading/.test(document.body.innerText));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return answers;
}

// Every problem on one driver's screen, as text; empty when the screen is sound.
function problemsOf(where, facts, answers) {
  const problems = [];
  for (const [pattern, what] of NONSENSE) {
    const m = pattern.exec(facts.text);
    if (m) {
      const at = Math.max(0, m.index - 60);
      problems.push(`${where}: ${what}: …${facts.text.slice(at, m.index + 40).replace(/\s+/g, ' ')}…`);
    }
  }
  for (const w of facts.widths) if (!(w >= 0 && w <= 100)) problems.push(`${where}: a bar ${w}% wide`);
  const perf = answers.performance.body;
  const detailed = answers['detailed-performance'].body;
  if (perf.error) {
    if (!facts.text.includes(perf.error)) problems.push(`${where}: the error "${perf.error}" is not on screen`);
  } else {
    const consistency = answers.consistency.body.consistency_score;
    const expected = [
      ['best lap', formatTime(perf.best_lap)],
      ['average lap', formatTime(perf.average_lap)],
      ['consistency', `${consistency?.toFixed(1)}%`],
    ];
    for (const [what, shown] of expected)
      if (!facts.text.includes(shown)) problems.push(`${where}: ${what} ${shown} (APEX's answer) not on screen`);
  }
  if (/Track record!/.test(facts.text)) {
    const best = detailed.performance?.best_lap;
    const delta = detailed.performance?.delta_to_record;
    if (best == null || delta == null || delta > 0) {
      problems.push(`${where}: "Track record!" for best lap ${best} with delta_to_record ${delta}`);
    }
  }
  return problems;
}

// The page's requests in flight and the last drivers list it fetched. The app answers a
// track change with two dashboard loads (the previous session id at the new track, then the
// track's first session) and shows whichever lands last, so each step waits for the network to
// settle and checks which session the screen shows.
function trackNetwork(page) {
  const net = { inflight: 0, lastDrivers: '' };
  page.on('request', () => (net.inflight += 1));
  page.on('requestfailed', () => (net.inflight -= 1));
  page.on('requestfinished', (request) => {
    net.inflight -= 1;
    const pathname = new URL(request.url()).pathname;
    if (pathname.endsWith('/drivers')) net.lastDrivers = pathname;
  });
  return net;
}

async function settled(page, net, quietMs = 250) {
  let quietSince = Date.now();
  for (;;) {
    if (net.inflight > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs && !(await page.evaluate(() => /Loading/.test(document.body.innerText)))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function showTrack(page, net, track) {
  const picker = page.locator('select').nth(0);
  if ((await picker.inputValue()) !== track) await picker.selectOption(track);
  await settled(page, net);
}

async function showSession(page, net, track, session, sessions) {
  const want = `/api/analytics/track/${track}/session/${session}/drivers`;
  const picker = page.locator('select').nth(1);
  for (let attempt = 0; attempt < 3; ++attempt) {
    if ((await picker.inputValue()) !== session) await picker.selectOption(session);
    await settled(page, net);
    if (net.lastDrivers === want) return;
    // An older load landed last: pick another session, then this one again.
    await picker.selectOption(sessions.find((s) => s !== session) ?? session);
    await settled(page, net);
  }
  throw new Error(`${track} ${session}: the dashboard never showed this session`);
}

async function optionsOf(page, nth) {
  return page.locator('select').nth(nth).evaluate((s) => [...s.options].map((o) => o.value).filter((v) => v));
}

// Walks every track, session and driver one server offers; returns how many sessions had
// drivers, how many drivers showed an error, and every problem found. `shots` maps
// "track/session/driver" (or "track/session" for its first driver) to a screenshot taker.
async function walk(page, base, shots) {
  const found = { sessions: 0, drivers: 0, errors: 0, problems: [] };
  const net = trackNetwork(page);
  await page.goto(base + '/');
  await page.waitForSelector('select option', { state: 'attached' });
  for (const track of await optionsOf(page, 0)) {
    await showTrack(page, net, track);
    const sessions = await optionsOf(page, 1);
    for (const session of sessions) {
      await showSession(page, net, track, session, sessions);
      const drivers = (await page.locator('select').count()) >= 3 ? await optionsOf(page, 2) : [];
      if (drivers.length > 0) found.sessions += 1;
      for (const driver of drivers) {
        const answers = await showDriver(page, driver);
        await settled(page, net, 0);
        const facts = await screenFacts(page);
        found.drivers += 1;
        if (answers.performance.body.error) found.errors += 1;
        found.problems.push(...problemsOf(`${track} ${session} ${driver}`, facts, answers));
        const shot = shots.get(`${track}/${session}/${driver}`) ?? (driver === drivers[0] ? shots.get(`${track}/${session}`) : undefined);
        if (shot) await shot(page);
      }
      log(`${track} ${session}: ${drivers.length} drivers`);
    }
  }
  return found;
}

async function withServer(dataDir, webDir, fn) {
  const server = startApexServe({ binary, source, webDir, dataDir, env: { API_TOKEN: '' } });
  try {
    return await fn(`http://127.0.0.1:${await server.port}`);
  } finally {
    server.child.kill('SIGKILL');
  }
}

async function main() {
  fs.mkdirSync(output, { recursive: true });
  const webDir = buildFrontend();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(60_000);
    const shot = (name) => async (p) => {
      await p.waitForTimeout(1200); // recharts animates
      const file = path.join(output, `original-${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      if (process.env.APEX_UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(source, 'docs/screenshots', `original-${name}.png`));
    };

    const real = await withServer(realData, webDir, (base) =>
      walk(page, base, new Map([['barber-motorsports-park/R1', shot('barber-r1')]])),
    );
    const embedded = await withServer(path.join(source, 'data'), webDir, (base) =>
      walk(page, base, new Map([['sonoma-raceway/R1/GR86-022-13', shot('sonoma-raceway-telemetry')]])),
    );
    const problems = [...real.problems, ...embedded.problems, ...pageErrors.map((e) => `page error: ${e}`)];
    log(`real: ${real.sessions} sessions, ${real.drivers} drivers (${real.errors} without valid laps); embedded: ${embedded.sessions} sessions, ${embedded.drivers} drivers`);
    for (const p of problems) console.error('[original-frontend]', p);
    assert.ok(real.sessions >= MIN_REAL_RACES, `walked ${real.sessions} real races, want ${MIN_REAL_RACES} or more`);
    assert.ok(embedded.drivers > 0, 'walked the embedded telemetry track');
    assert.equal(problems.length, 0, `${problems.length} problems on screen (listed above)`);
    log('passed');
  } finally {
    await browser.close();
    clearTimeout(watchdog);
  }
}

main().catch((e) => {
  console.error('[original-frontend] FAILED:', e);
  process.exit(1);
});
