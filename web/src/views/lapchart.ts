// Lap times over lap number for the selected drivers (GET …/laps). Valid laps form each
// driver's line; FCY laps get a ring; flagged laps (never counted by the API) are crosses
// off the line, with the API's invalid_reason on hover and in the list under the chart.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtLap, getJson, sessionPath, type Lap, type LeaderboardRow } from '../api';
import { errorBox, fitWidth, h, section } from '../ui';
import type { ViewContext } from '../view';
import { color } from './colors';

// The query keys this chart reads (laps.ts says what each belongs to).
export type LapChartKey = 'drivers' | 'source';

const DEFAULT_DRIVERS = 5;

// One car's laps from one source: official timing when the car has any, else ECU.
function lapsByDriver(laps: Lap[], ecuOnly: boolean): Map<string, Lap[]> {
  const all = new Map<string, Lap[]>();
  for (const lap of laps) {
    const list = all.get(lap.driver_id) ?? [];
    list.push(lap);
    all.set(lap.driver_id, list);
  }
  for (const [id, list] of all) {
    const official = ecuOnly ? [] : list.filter((l) => l.source === 'official');
    const ecu = list.filter((l) => l.source === 'ecu');
    all.set(id, (official.length ? official : ecu.length ? ecu : list).sort((a, b) => a.lap - b.lap));
  }
  return all;
}

const isFcy = (l: Lap) => l.flag === 'FCY';

export async function renderLapChart(ctx: ViewContext<LapChartKey>): Promise<void> {
  const base = sessionPath(ctx.track, ctx.session);
  let laps: Lap[];
  let board: LeaderboardRow[];
  try {
    [laps, board] = await Promise.all([
      getJson<Lap[]>(`${base}/laps`, ctx.signal),
      getJson<LeaderboardRow[]>(`${base}/leaderboard`, ctx.signal),
    ]);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    ctx.root.replaceChildren(errorBox(e, 'the laps'));
    return;
  }
  const ecuOnly = ctx.query.get('source') === 'ecu';
  const byDriver = lapsByDriver(laps, ecuOnly);
  const order = [...board.map((r) => r.driver_id).filter((d) => byDriver.has(d)), ...[...byDriver.keys()].filter((d) => !board.some((r) => r.driver_id === d))];
  const carOf = new Map(laps.map((l) => [l.driver_id, l.car_number]));
  const label = (d: string) => (carOf.get(d) ? `#${carOf.get(d)} ${d}` : d);
  const fromUrl = ctx.query.list('drivers').filter((d) => byDriver.has(d));
  let selected = fromUrl.length ? fromUrl : order.slice(0, DEFAULT_DRIVERS);

  const picker = h('fieldset', { class: 'drivers' }, h('legend', { text: 'Drivers' }));
  for (const [i, d] of order.entries()) {
    const box = h('input', { type: 'checkbox', value: d, checked: selected.includes(d) });
    box.addEventListener('change', () => {
      selected = order.filter((x) => (x === d ? box.checked : selected.includes(x)));
      ctx.query.set({ drivers: selected }, false);
      draw();
    });
    picker.append(h('label', { style: `--c:${color(i)}` }, box, h('span', { class: 'swatch' }), label(d)));
  }
  const sourcePick = h('fieldset', { class: 'source' }, h('legend', { text: 'Timing source' }));
  for (const [value, text] of [['', 'Official where available'], ['ecu', 'ECU lap crossings (flags mis-timed laps)']]) {
    const radio = h('input', { type: 'radio', name: 'lap-source', value, checked: (value === 'ecu') === ecuOnly });
    radio.addEventListener('change', () => {
      ctx.query.set({ source: value || null });
      void renderLapChart(ctx);
    });
    sourcePick.append(h('label', {}, radio, text));
  }
  const chartBox = h('div', { class: 'chart', 'data-testid': 'lap-chart' });
  const tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  const flaggedList = h('div', { class: 'flagged' });
  ctx.root.replaceChildren(
    section(
      'Lap times',
      h(
        'p',
        { class: 'note' },
        'Lines: valid laps (official timing where the car has it, else ECU). ○ FCY lap',
        // The API gives an ECU lap the flag of the official lap it matches; unlinked cars have none.
        ecuOnly ? ' (from official timing; cars without it show none)' : '',
        '. ✕ flagged lap, not counted: hover for the reason. Drag to zoom, double-click to reset.',
      ),
      h('div', { class: 'with-side' }, h('div', { class: 'side' }, sourcePick, picker), h('div', { class: 'chart-wrap' }, chartBox, tooltip)),
      flaggedList,
    ),
  );

  let plot: uPlot | null = null;
  const draw = () => {
    plot?.destroy();
    const drivers = selected.map((d) => ({ id: d, laps: byDriver.get(d) ?? [], c: color(order.indexOf(d)) }));
    const xs = [...new Set(drivers.flatMap((d) => d.laps.map((l) => l.lap)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      xs,
      ...drivers.map((d) => {
        const at = new Map(d.laps.filter((l) => l.valid).map((l) => [l.lap, l.lap_time]));
        return xs.map((x) => at.get(x) ?? null);
      }),
    ];
    // Markers drawn on top of the lines, in data space, so they follow zoom.
    const markers = drivers.flatMap((d) => d.laps.filter((l) => (!l.valid || isFcy(l)) && l.lap_time != null).map((l) => ({ lap: l, c: d.c })));
    const times = drivers.flatMap((d) => d.laps.map((l) => l.lap_time ?? NaN)).filter(Number.isFinite);
    const opts: uPlot.Options = {
      width: Math.max(480, chartBox.clientWidth || 900),
      height: 420,
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(min, ...times) - 0.5, Math.max(max, ...times) + 0.5] } },
      axes: [{ label: 'Lap' }, { label: 'Lap time', values: (_u, ticks) => ticks.map((t) => fmtLap(t)), size: 70 }],
      series: [{ label: 'Lap' }, ...drivers.map((d) => ({ label: label(d.id), stroke: d.c, width: 2, spanGaps: true, points: { size: 5 }, value: (_u: uPlot, v: number | null) => fmtLap(v) }))],
      legend: { show: true },
      hooks: {
        draw: [
          (u) => {
            const c = u.ctx;
            c.save();
            c.lineWidth = 2 * devicePixelRatio;
            for (const m of markers) {
              const x = u.valToPos(m.lap.lap, 'x', true);
              const y = u.valToPos(m.lap.lap_time as number, 'y', true);
              const r = 6 * devicePixelRatio;
              c.strokeStyle = m.c;
              c.beginPath();
              if (!m.lap.valid) {
                c.moveTo(x - r, y - r);
                c.lineTo(x + r, y + r);
                c.moveTo(x + r, y - r);
                c.lineTo(x - r, y + r);
              } else {
                c.arc(x, y, r, 0, 2 * Math.PI);
              }
              c.stroke();
            }
            c.restore();
          },
        ],
        setCursor: [
          (u) => {
            const { left, top } = u.cursor;
            if (left == null || top == null || left < 0) {
              tooltip.hidden = true;
              return;
            }
            // The nearest lap of any selected driver within 12 px, flagged or not.
            let best: { lap: Lap; d: number } | null = null;
            for (const d of drivers)
              for (const l of d.laps) {
                if (l.lap_time == null) continue;
                const dx = u.valToPos(l.lap, 'x') - left;
                const dy = u.valToPos(l.lap_time, 'y') - top;
                const dist = Math.hypot(dx, dy);
                if (dist < 12 && (!best || dist < best.d)) best = { lap: l, d: dist };
              }
            if (!best) {
              tooltip.hidden = true;
              return;
            }
            const l = best.lap;
            tooltip.replaceChildren(
              h('strong', { text: `${label(l.driver_id)} · lap ${l.lap}` }),
              h('div', { text: `${fmtLap(l.lap_time)} (${l.source}${l.flag ? ', ' + l.flag : ''}${l.pit ? ', pit' : ''})` }),
              l.valid ? '' : h('div', { class: 'reason', text: `Flagged: ${l.invalid_reason ?? 'invalid'}` }),
            );
            tooltip.hidden = false;
            tooltip.style.left = `${u.over.offsetLeft + left + 14}px`;
            tooltip.style.top = `${u.over.offsetTop + top + 14}px`;
          },
        ],
      },
    };
    plot = new uPlot(opts, data, chartBox);
    // What the canvas shows, for the e2e test (a canvas cannot be queried for its rings).
    chartBox.dataset.fcyLaps = String(markers.filter((m) => m.lap.valid).length);
    (chartBox as HTMLElement & { uplot?: uPlot }).uplot = plot;

    const flagged = drivers.flatMap((d) => d.laps.filter((l) => !l.valid));
    // The rings in words, for keyboard and screen-reader users (the chart's hover is mouse-only).
    const cautions = drivers.map((d) => ({ id: d.id, laps: d.laps.filter(isFcy).map((l) => l.lap) })).filter((x) => x.laps.length);
    flaggedList.replaceChildren(
      h('h3', { text: 'FCY (caution) laps of the selected drivers' }),
      h(
        'p',
        { 'data-testid': 'fcy-laps' },
        cautions.length ? cautions.map((x) => `${label(x.id)}: lap${x.laps.length > 1 ? 's' : ''} ${x.laps.join(', ')}`).join('; ') : 'None.',
      ),
      h('h3', { text: `Flagged laps of the selected drivers (${flagged.length})` }),
      flagged.length
        ? h('ul', {}, ...flagged.map((l) => h('li', {}, `${label(l.driver_id)} lap ${l.lap} (${fmtLap(l.lap_time)}, ${l.source}): ${l.invalid_reason ?? 'invalid'}`)))
        : h('p', { text: 'None: every lap of these drivers counts.' }),
    );
  };
  draw();
  fitWidth(chartBox, (width) => plot?.setSize({ width: Math.max(480, width), height: 420 }));
}
