// End-to-end test of the web dashboard in a real browser: starts `apex serve`
// on the embedded data with the built dashboard (web/dist), drives Debian's chromium
// with playwright-core, checks the numbers on screen against the API, and saves
// screenshots under the test output folder ($APEX_E2E_OUTPUT). With
// APEX_UPDATE_SCREENSHOTS=1 it also refreshes docs/screenshots/ (off in CI, so a test run
// never dirties the tree). Speed is measured by bench/dashboard_bench.mjs, not here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startApexServe } from './apex_serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = process.env.APEX_SOURCE_DIR ?? path.resolve(here, '../..');
const binary = process.env.APEX_BINARY ?? path.join(source, 'build/apex');
const webDir = process.env.APEX_WEB_DIR ?? path.join(source, 'web/dist');
const output = process.env.APEX_E2E_OUTPUT ?? path.join(source, 'tests/output/e2e');
const chromiumPath = process.env.APEX_CHROMIUM ?? '/usr/bin/chromium';
const TRACK = 'sonoma-raceway';
const SESSION = 'R1';
const TIMEOUT_MS = 90_000;

// playwright-core lives in tests/node_modules (tests/package-lock.json).
const require = createRequire(path.join(source, 'tests/package.json'));
const { chromium } = require('playwright-core');

const log = (...args) => console.log('[e2e]', ...args);
const watchdog = setTimeout(() => {
  console.error(`[e2e] FAILED: still running after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);

for (const [what, file] of [
  ['apex binary (APEX_BINARY)', binary],
  ['built dashboard (run `make build` or `cd web && npm ci && npm run build`)', path.join(webDir, 'index.html')],
  ['Debian chromium (scripts/install-deps.sh installs it)', chromiumPath],
]) {
  assert.ok(fs.existsSync(file), `missing ${what}: ${file}`);
}
fs.mkdirSync(output, { recursive: true });

// `apex serve --port 0` binds a free port and logs it.
function startServer(env = {}, dataDir = undefined) {
  return startApexServe({ binary, source, webDir, env, dataDir });
}

// A copy of the committed Sonoma track whose telemetry has a stray quote on line 50: the
// telemetry view must say what could not be read.
function damagedTelemetryCopy() {
  const root = fs.mkdtempSync(path.join(output, 'damaged-'));
  fs.cpSync(path.join(source, 'data', TRACK), path.join(root, TRACK), { recursive: true });
  const file = path.join(root, TRACK, 'Sonoma', 'Race 1', 'sonoma_telemetry_R1.csv');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines[49] = lines[49].replace('GR86-', '"GR86-');
  fs.writeFileSync(file, lines.join('\n'));
  return root;
}

// A raw request: the path is sent exactly as written (fetch would normalise `..`).
function raw(port, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function checkStaticServing(port) {
  const json = await raw(port, '/', { Accept: '*/*' });
  assert.equal(json.status, 200);
  assert.match(json.headers['content-type'], /application\/json/);
  assert.ok(JSON.parse(json.body).message, '`/` for scripts keeps the JSON root');

  const page = await raw(port, '/', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.ok(page.headers.etag, 'index.html has an ETag');
  const again = await raw(port, '/', { Accept: 'text/html', 'If-None-Match': page.headers.etag });
  assert.equal(again.status, 304);

  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
  assert.ok(asset, 'index.html references a hashed script');
  const js = await raw(port, asset);
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /javascript/);
  assert.match(js.headers['cache-control'], /immutable/);

  for (const target of ['/assets/../../CMakeLists.txt', '/assets/..%2f..%2fCMakeLists.txt', '/assets/%2e%2e/x.js', '/assets/a%00.js']) {
    const r = await raw(port, target);
    assert.ok(r.status === 400 || r.status === 404, `${target} refused (got ${r.status})`);
    assert.ok(!r.body.includes('cmake_minimum_required'), `${target} must not leak a file`);
  }
  assert.equal((await raw(port, '/assets/nope-123.js')).status, 404);
}

async function api(port, pathname) {
  const r = await raw(port, pathname, { Accept: 'application/json' });
  return { status: r.status, body: r.body ? JSON.parse(r.body) : null };
}

const API_TOKEN = 'e2e-token-7f3a9c2b51d04e86'; // API_TOKEN needs 16 characters or more

async function main() {
  const server = startServer({ API_TOKEN: '' });
  // A second server with API_TOKEN, started now so its start-up overlaps the first part.
  const tokenServer = startServer({ API_TOKEN });
  tokenServer.port.catch(() => undefined); // awaited (and reported) where it is used
  const damagedDir = damagedTelemetryCopy();
  const damagedServer = startServer({ API_TOKEN: '' }, damagedDir);
  damagedServer.port.catch(() => undefined);
  let browser;
  try {
    const port = await server.port;
    const base = `http://127.0.0.1:${port}`;
    log('apex serve on', base);
    await checkStaticServing(port);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(15_000);
    const shot = (name) => page.screenshot({ path: path.join(output, `${name}.png`), fullPage: false });

    // Pick the track and session with the pickers, as a user would.
    await page.goto(base + '/');
    await page.waitForSelector('#track option', { state: 'attached' });
    await page.selectOption('#track', TRACK);
    await page.waitForFunction((s) => [...document.querySelectorAll('#session option')].some((o) => o.value === s), SESSION);
    await page.selectOption('#session', SESSION);
    // The table of this track and session (a picker change re-renders the view).
    const caption = `${TRACK} · ${SESSION}`;
    await page.waitForFunction((c) => document.querySelector('[data-testid=leaderboard] caption')?.textContent.startsWith(c) && document.querySelector('[data-testid=leaderboard] tbody tr'), caption);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('track'), TRACK);
    assert.equal(url.searchParams.get('session'), SESSION);

    // The leaderboard's best lap is the API's best lap.
    const bestLap = await api(port, `/api/analytics/track/${TRACK}/session/${SESSION}/best-lap`);
    assert.equal(bestLap.status, 200);
    const board = await api(port, `/api/analytics/track/${TRACK}/session/${SESSION}/leaderboard`);
    // Read in one evaluation, so a re-render cannot slip between finding and reading.
    const { first, rows } = await (
      await page.waitForFunction(() => {
        const trs = document.querySelectorAll('[data-testid=leaderboard] tbody tr');
        if (trs.length === 0) return null;
        const td = trs[0].querySelector('td[data-key=best_lap]');
        return { first: { driver: trs[0].getAttribute('data-driver'), best: Number(td.getAttribute('data-value')), shown: td.textContent }, rows: trs.length };
      })
    ).jsonValue();
    assert.equal(first.best, bestLap.body.best_lap_time, 'P1 best lap on screen = /best-lap');
    assert.equal(first.driver, bestLap.body.driver_id, 'P1 driver on screen = /best-lap driver');
    assert.equal(first.best, board.body[0].best_lap);
    const t = bestLap.body.best_lap_time;
    const formatted = `${Math.floor(t / 60)}:${(t % 60).toFixed(3).padStart(6, '0')}`;
    assert.ok(first.shown.startsWith(formatted), `shown ${first.shown}, API ${formatted}`);
    assert.equal(rows, board.body.length, 'one row per car');

    // Sorting: Best lap twice is descending, the slowest best lap first.
    await page.click('th[data-key=best_lap] button');
    await page.click('th[data-key=best_lap] button');
    const sortedFirst = await page.$eval('[data-testid=leaderboard] tbody tr td[data-key=best_lap]', (td) => Number(td.getAttribute('data-value')));
    assert.equal(sortedFirst, Math.max(...board.body.map((r) => r.best_lap ?? -Infinity)));
    assert.equal(await page.getAttribute('th[data-key=best_lap]', 'aria-sort'), 'descending');
    assert.match(page.url(), /sort=best_lap&order=desc/, 'the link keeps the sort order');

    // The shared link opens the leaderboard directly, in position order.
    await page.goto(`${base}/?track=${TRACK}&session=${SESSION}`);
    await page.waitForSelector('[data-testid=leaderboard] tbody tr');
    assert.equal(await page.getAttribute('th[data-key=position]', 'aria-sort'), 'ascending');
    await shot('leaderboard');

    // Lap chart: the drivers' lines, and the ECU source with its flagged laps and reasons.
    // Reached with the keyboard: the arrow key moves along the tabs and opens the next view.
    await page.focus('#tab-leaderboard');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[data-testid=lap-chart] canvas');
    assert.equal(new URL(page.url()).searchParams.get('view'), 'laps');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-laps');
    const series = await page.$eval('[data-testid=lap-chart]', (el) => el.uplot.series.length);
    assert.equal(series, 1 + 5, 'x plus the five leading drivers');
    const laps = await api(port, `/api/analytics/track/${TRACK}/session/${SESSION}/laps`);
    const flagged = laps.body.filter((l) => !l.valid);
    assert.ok(flagged.length > 0, 'the embedded session has flagged ECU laps');
    await page.goto(`${base}/?track=${TRACK}&session=${SESSION}&view=laps&source=ecu&drivers=${flagged[0].driver_id},${board.body[0].driver_id}`);
    await page.waitForSelector('[data-testid=lap-chart] canvas');
    const flaggedText = await page.textContent('.flagged');
    assert.ok(flaggedText.includes(flagged[0].invalid_reason), 'the flagged lap is listed with the API reason');
    // FCY laps are ringed in the ECU view too: the API gives ECU laps the official flag.
    const shownDrivers = [flagged[0].driver_id, board.body[0].driver_id];
    const ecuFcy = laps.body.filter((l) => l.source === 'ecu' && shownDrivers.includes(l.driver_id) && l.valid && l.flag === 'FCY' && l.lap_time != null);
    assert.ok(ecuFcy.length > 0, 'the embedded race has a caution the ECU laps know of');
    assert.equal(Number(await page.getAttribute('[data-testid=lap-chart]', 'data-fcy-laps')), ecuFcy.length, 'one FCY ring per ECU caution lap');
    const fcyText = await page.textContent('[data-testid=fcy-laps]');
    assert.match(fcyText, new RegExp(`${ecuFcy[0].driver_id}: laps? [0-9, ]*\\b${ecuFcy[0].lap}\\b`), `FCY laps listed in words: ${fcyText}`);
    await shot('lap-chart');

    // Sectors: the session-best row and one row per driver.
    await page.click('#tab-sectors');
    await page.waitForSelector('[data-testid=sectors] tbody tr.session-best');
    const sectors = await api(port, `/api/analytics/track/${TRACK}/session/${SESSION}/sector-analysis`);
    const sectorRows = await page.$$eval('[data-testid=sectors] tbody tr[data-driver]', (trs) => trs.length);
    assert.equal(sectorRows, sectors.body.drivers.length);
    await shot('sectors');

    // Telemetry overlay: the delta trace must be drawn when the API has the endpoints.
    const vehicles = await api(port, `/api/telemetry/track/${TRACK}/session/${SESSION}/vehicles`);
    await page.click('#tab-telemetry');
    if (vehicles.status === 404 || vehicles.status === 501) {
      await page.waitForSelector('.view-telemetry .error');
      assert.match(await page.textContent('.view-telemetry .error'), /not available on this server/);
      log(`telemetry endpoints not live (vehicles answered ${vehicles.status}): checked the message instead of the overlay`);
      await shot('telemetry');
    } else {
      assert.equal(vehicles.status, 200, JSON.stringify(vehicles.body));
      assert.ok(vehicles.body.vehicles.length >= 2, 'two cars with telemetry to overlay');
      await page.waitForSelector('[data-testid=delta-chart] canvas', { timeout: 30_000 });
      const drawn = await page.$eval('[data-testid=delta-chart]', (el) => {
        const u = el.uplot;
        const ys = u.data[1].filter((v) => v != null && Number.isFinite(v));
        // Pixels of the delta stroke colour (#6a1b9a) on the chart's canvas.
        const c = el.querySelector('canvas');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let stroke = 0;
        for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 106) < 30 && Math.abs(px[i + 1] - 27) < 30 && Math.abs(px[i + 2] - 154) < 30) stroke++;
        return { points: ys.length, stroke };
      });
      assert.ok(drawn.points > 10, `delta trace has points (${drawn.points})`);
      assert.ok(drawn.stroke > 50, `delta trace is drawn on the canvas (${drawn.stroke} stroke pixels)`);
      // Channel charts: drawn for every channel the API answered with samples, and named as
      // missing otherwise (never an empty chart or a made-up trace).
      const shown = await page.evaluate(() => Object.fromEntries(['tele-driver', 'tele-lap', 'tele-driver-b', 'tele-lap-b'].map((id) => [id, document.getElementById(id).value])));
      const compare = await api(port, `/api/telemetry/track/${TRACK}/session/${SESSION}/driver/${shown['tele-driver']}/compare?driver_b=${shown['tele-driver-b']}&lap_a=${shown['tele-lap']}&lap_b=${shown['tele-lap-b']}&channels=speed`);
      log(`overlay: ${shown['tele-driver']} lap ${shown['tele-lap']} vs ${shown['tele-driver-b']} lap ${shown['tele-lap-b']}`);
      const summary = await page.textContent('[data-testid=compare-summary]');
      assert.ok(summary.includes(`lap ${compare.body.a.lap_number}`) && summary.includes(`lap ${compare.body.b.lap_number}`), summary);
      assert.equal(compare.status, 200);
      const speedSamples = compare.body.traces.a[0].value.length + compare.body.traces.b[0].value.length;
      if (speedSamples > 0) {
        const speedSeries = await page.$eval('[data-testid=channel-speed]', (el) => el.uplot.series.length);
        assert.equal(speedSeries, 3, 'speed of A and B');
      } else {
        assert.equal(await page.$('[data-testid=channel-speed]'), null);
        assert.match(await page.textContent('[data-testid=missing-channels]'), /Speed/);
        log('the API answered no speed samples for this overlay: checked the missing-channel note instead of the speed chart');
      }
      // Zoom redraw of every synchronised chart: time from setScale until all have redrawn.
      const zoomMs = await page.evaluate(async () => {
        const u = document.querySelector('[data-testid=delta-chart]').uplot;
        const xs = u.data[0];
        const points = document.querySelectorAll('.tele-charts .chart').length;
        const t0 = performance.now();
        u.setScale('x', { min: xs[0] + (xs[xs.length - 1] - xs[0]) * 0.2, max: xs[0] + (xs[xs.length - 1] - xs[0]) * 0.4 });
        await new Promise((r) => setTimeout(r, 0));
        return { ms: performance.now() - t0, charts: points };
      });
      log(`zoom redraw of ${zoomMs.charts} synchronised charts: ${zoomMs.ms.toFixed(1)} ms`);
      await page.dblclick('[data-testid=delta-chart] .u-over');
      // The keyboard zoom button narrows every chart to the same distance range.
      const before = await page.$eval('[data-testid=delta-chart]', (el) => el.uplot.scales.x.max - el.uplot.scales.x.min);
      await page.focus('button[aria-label="Zoom in"]');
      await page.keyboard.press('Enter');
      const ranges = await page.$$eval('.tele-charts .chart', (els) => els.map((el) => el.uplot.scales.x.max - el.uplot.scales.x.min));
      assert.ok(ranges.every((r) => Math.abs(r - before / 2) < before * 0.01), `zoomed ranges ${ranges} from ${before}`);
      await page.click('button[aria-label="Show the whole lap"]');
      assert.equal(await page.$('.telemetry-bad-rows'), null, 'no damage note for a file read whole');
      await shot('telemetry');

      // The same track with a stray quote in its telemetry: the view names the bad row.
      const damagedPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      damagedPage.setDefaultTimeout(15_000);
      damagedPage.on('pageerror', (e) => pageErrors.push(e.message));
      await damagedPage.goto(`http://127.0.0.1:${await damagedServer.port}/?track=${TRACK}&session=${SESSION}&view=telemetry`);
      await damagedPage.waitForSelector('.telemetry-bad-rows');
      const note = await damagedPage.textContent('.telemetry-bad-rows');
      assert.match(note, /^1 of \d+ rows of sonoma-raceway\/Sonoma\/Race 1\/sonoma_telemetry_R1\.csv could not be read; first: .* line 50: unterminated quote/, note);
      await damagedPage.waitForSelector('[data-testid=delta-chart] canvas', { timeout: 30_000 });
      await damagedPage.close();
    }

    // Data page: the data source and the catalog.
    await page.click('#tab-data');
    await page.waitForSelector('.facts');
    assert.match(await page.textContent('.facts'), /local folder/);
    // The session's data-quality report: every check the API reports, with its status.
    await page.waitForSelector('[data-testid=quality] [data-check]');
    const shownChecks = await page.$$eval('[data-testid=quality] [data-check]', (els) =>
      els.map((e) => [e.getAttribute('data-check'), e.getAttribute('data-status'), e.querySelectorAll('tbody tr').length]),
    );
    const quality = JSON.parse((await raw(port, `/api/analytics/track/${TRACK}/session/${SESSION}/quality`)).body);
    assert.deepEqual(shownChecks, quality.checks.map((c) => [c.id, c.status, c.findings.length]));
    assert.ok(shownChecks.some(([id]) => id === 'car_links'), 'the links check is shown');
    await shot('data');

    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');

    // API_TOKEN: the dashboard asks for the token in its form, says when it is wrong, and
    // keeps the right one for the tab (a reload asks nothing). A fresh context: no token yet.
    const tokenBase = `http://127.0.0.1:${await tokenServer.port}`;
    const tokenPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    tokenPage.setDefaultTimeout(15_000);
    tokenPage.on('pageerror', (e) => pageErrors.push(e.message));
    await tokenPage.goto(`${tokenBase}/?track=${TRACK}&session=${SESSION}`);
    await tokenPage.waitForSelector('#token-dialog[open] #token-input');
    assert.equal(await tokenPage.evaluate(() => document.activeElement?.id), 'token-input', 'the form takes the focus');
    assert.equal(await tokenPage.getAttribute('#token-dialog', 'aria-labelledby'), 'token-title');
    await tokenPage.keyboard.type('not-the-token');
    await tokenPage.keyboard.press('Enter');
    await tokenPage.waitForSelector('#token-dialog[open] #token-error:not([hidden])');
    assert.match(await tokenPage.textContent('#token-error'), /did not accept that token/);
    await tokenPage.fill('#token-input', API_TOKEN);
    await tokenPage.keyboard.press('Enter');
    await tokenPage.waitForSelector('[data-testid=leaderboard] tbody tr');
    assert.equal(await tokenPage.$$eval('[data-testid=leaderboard] tbody tr', (trs) => trs.length), board.body.length);
    await tokenPage.screenshot({ path: path.join(output, 'token-leaderboard.png') });
    await tokenPage.reload();
    await tokenPage.waitForSelector('[data-testid=leaderboard] tbody tr');
    assert.equal(await tokenPage.$eval('#token-dialog', (d) => d.open).catch(() => false), false, 'the tab kept the token');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');

    if (process.env.APEX_UPDATE_SCREENSHOTS === '1') {
      const docs = path.join(source, 'docs/screenshots');
      fs.mkdirSync(docs, { recursive: true });
      for (const name of ['leaderboard', 'lap-chart', 'sectors', 'telemetry']) fs.copyFileSync(path.join(output, `${name}.png`), path.join(docs, `${name}.png`));
      log('screenshots copied to', docs);
    }
    log('screenshots in', output);
    log('PASSED');
  } catch (e) {
    console.error('[e2e] server log:\n' + server.log().split('\n').slice(-30).join('\n'));
    throw e;
  } finally {
    await browser?.close();
    server.child.kill('SIGTERM');
    tokenServer.child.kill('SIGTERM');
    damagedServer.child.kill('SIGTERM');
    fs.rmSync(damagedDir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

main().catch((e) => {
  console.error('[e2e] FAILED:', e);
  process.exit(1);
});
