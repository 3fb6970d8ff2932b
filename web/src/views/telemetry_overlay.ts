// Telemetry overlay: driver A's lap against driver B's (GET …/compare): delta time over
// distance, then speed, throttle, brake, gear and steering, all over lap distance with one
// synchronised cursor and zoom (drag to zoom, double-click to reset), and the GPS track
// map coloured by speed. Endpoints that answer 404/501 get a message, not a fake trace.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, fmtLap, getJson, telemetryPath, type Channel, type Compare, type TelemetryLap, type TelemetryLaps, type TrackMap, type Vehicle, type Vehicles } from '../api';
import { errorBox, fitWidth, h, loading, section } from '../ui';
import type { ViewContext } from '../view';

// The query keys this overlay reads (telemetry.ts says what each belongs to).
export type TelemetryKey = 'driver' | 'driver_b' | 'lap' | 'lap_b' | 'points';

const CHANNELS: { name: string; label: string; unit: string }[] = [
  { name: 'speed', label: 'Speed', unit: 'km/h' },
  { name: 'ath', label: 'Throttle', unit: '%' },
  { name: 'pbrake_f', label: 'Brake (front)', unit: 'bar' },
  { name: 'gear', label: 'Gear', unit: '' },
  { name: 'Steering_Angle', label: 'Steering', unit: '°' },
];
const COLOR_A = '#1565c0';
const COLOR_B = '#d32f2f';
const SYNC_KEY = 'apex-telemetry';

type PlotEl = HTMLElement & { uplot?: uPlot };

export async function renderTelemetry(ctx: ViewContext<TelemetryKey>): Promise<void> {
  const base = telemetryPath(ctx.track, ctx.session);
  let vehicles: Vehicle[];
  let report: Vehicles['report'];
  try {
    ({ vehicles, report } = await getJson<Vehicles>(`${base}/vehicles`, ctx.signal));
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    // A 404 with a reason (not the router's) is the data speaking: this session has none.
    const none = e instanceof ApiError && e.status === 404 && !e.missingEndpoint;
    ctx.root.replaceChildren(section('Telemetry', none ? h('p', { class: 'note', text: `No telemetry here: ${(e as ApiError).detail}.` }) : errorBox(e, 'Telemetry (GET …/vehicles)')));
    return;
  }
  if (vehicles.length === 0) {
    ctx.root.replaceChildren(section('Telemetry', h('p', { class: 'note', text: `Session ${ctx.session} of ${ctx.track} has no telemetry.` })));
    return;
  }
  const byId = new Map(vehicles.map((v) => [v.vehicle_id, v]));
  const pick = (name: 'driver' | 'driver_b', fallback: Vehicle) => byId.get(ctx.query.get(name) ?? '') ?? fallback;
  const a = pick('driver', vehicles[0]);
  const b = pick('driver_b', vehicles.find((v) => v !== a) ?? a);
  // Per-lap summaries (GET …/laps) label the lap pickers; without them the plain numbers do.
  const summaries = async (v: Vehicle) =>
    getJson<TelemetryLaps>(`${base}/driver/${encodeURIComponent(v.vehicle_id)}/laps`, ctx.signal).then(
      (r) => r.laps,
      () => [] as TelemetryLap[],
    );
  const [lapsA, lapsB] = await Promise.all([summaries(a), summaries(b)]);
  if (ctx.signal.aborted) return;
  // The default lap is the car's best one that has samples to draw.
  const lapOf = (v: Vehicle, name: 'lap' | 'lap_b', laps: TelemetryLap[]) => {
    const n = ctx.query.number(name);
    if (n != null && v.laps.includes(n)) return n;
    const drawable = laps.filter((l) => l.samples > 0 && l.valid !== false && l.lap_time_s != null);
    drawable.sort((x, y) => (x.lap_time_s as number) - (y.lap_time_s as number));
    return drawable[0]?.lap_number ?? v.best_lap ?? v.laps[0];
  };
  const lapA = lapOf(a, 'lap', lapsA);
  const lapB = lapOf(b, 'lap_b', lapsB);
  const points = Math.min(20000, Math.max(100, ctx.query.number('points') || 2000));

  const vehicleLabel = (v: Vehicle) => `${v.car_number ? '#' + v.car_number + ' ' : ''}${v.vehicle_id}`;
  const select = (id: string, label: string, options: [string, string][], value: string, onChange: (v: string) => void) => {
    const s = h('select', { id }, ...options.map(([v, t]) => h('option', { value: v, selected: v === value, text: t })));
    s.addEventListener('change', () => onChange(s.value));
    return h('label', {}, label + ' ', s);
  };
  const lapOptions = (v: Vehicle, laps: TelemetryLap[]): [string, string][] =>
    v.laps.map((n) => {
      const l = laps.find((x) => x.lap_number === n);
      const facts = l ? ` · ${fmtLap(l.lap_time_s)}${l.valid === false ? ' · flagged' : ''}${l.samples === 0 ? ' · no samples' : ''}` : '';
      return [String(n), `Lap ${n}${n === v.best_lap ? ' (best)' : ''}${facts}`];
    });
  const rerender = (values: Partial<Record<TelemetryKey, string | null>>) => {
    ctx.query.set(values);
    void renderTelemetry(ctx);
  };
  const controls = h(
    'div',
    { class: 'controls' },
    select('tele-driver', 'Driver A', vehicles.map((v) => [v.vehicle_id, vehicleLabel(v)]), a.vehicle_id, (v) => rerender({ driver: v, lap: null })),
    select('tele-lap', 'Lap A', lapOptions(a, lapsA), String(lapA), (v) => rerender({ lap: v })),
    select('tele-driver-b', 'Driver B', vehicles.map((v) => [v.vehicle_id, vehicleLabel(v)]), b.vehicle_id, (v) => rerender({ driver_b: v, lap_b: null })),
    select('tele-lap-b', 'Lap B', lapOptions(b, lapsB), String(lapB), (v) => rerender({ lap_b: v })),
  );
  const status = loading(`laps ${lapA} and ${lapB}`);
  // A damaged export shows as fewer samples; say how many rows could not be read and why.
  const damage =
    report && report.bad_rows > 0
      ? h('p', {
          class: 'note telemetry-bad-rows',
          text: `${report.bad_rows} of ${report.rows} rows of ${report.object} could not be read` + (report.bad_row_reasons.length ? `; first: ${report.bad_row_reasons[0]}` : '') + '.',
        })
      : null;
  ctx.root.replaceChildren(section('Telemetry', controls, damage, status));

  const channels = CHANNELS.map((c) => c.name).join(',');
  const q = new URLSearchParams({ driver_b: b.vehicle_id, lap_a: String(lapA), lap_b: String(lapB), channels, points: String(points) });
  const driverBase = `${base}/driver/${encodeURIComponent(a.vehicle_id)}`;
  let compare: Compare;
  try {
    compare = await getJson<Compare>(`${driverBase}/compare?${q}`, ctx.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    status.replaceWith(errorBox(e, 'The lap comparison (GET …/compare)'));
    return;
  }
  // The original's shape for a car without telemetry: 200 with {error, detail}.
  const refused = compare as unknown as { error?: string; detail?: string };
  if (refused.error || !compare.delta) {
    status.replaceWith(h('p', { class: 'error', role: 'alert', text: `No comparison: ${refused.detail ?? refused.error ?? 'no delta in the answer'}` }));
    return;
  }
  const mapPromise = a.has_gps
    ? getJson<TrackMap>(`${driverBase}/track-map?lap=${lapA}&points=1500`, ctx.signal).catch((e: unknown) => e)
    : Promise.resolve<Pick<TrackMap, 'available' | 'detail'>>({ available: false, detail: 'no GPS in this car’s telemetry' });

  const diff = compare.lap_time_difference_s;
  const summary = h(
    'p',
    { class: 'summary', 'data-testid': 'compare-summary' },
    h('span', { class: 'a', text: `A ${compare.a.driver_id} lap ${compare.a.lap_number}: ${fmtLap(compare.a.lap_time_s)}` }),
    ' vs ',
    h('span', { class: 'b', text: `B ${compare.b.driver_id} lap ${compare.b.lap_number}: ${fmtLap(compare.b.lap_time_s)}` }),
    diff == null ? '' : ` · B ${diff >= 0 ? 'slower' : 'faster'} by ${Math.abs(diff).toFixed(3)} s`,
  );
  const plots: uPlot[] = [];
  const charts = h('div', { class: 'tele-charts' });
  const side = h('div', { class: 'tele-side' });
  status.replaceWith(summary, h('p', { class: 'note', text: 'Delta: B’s time minus A’s at the same distance (above zero: B behind). All charts share one cursor and one zoom.' }), h('div', { class: 'tele-layout' }, charts, side));

  const width = Math.max(480, charts.clientWidth || 900);
  // Zoom on one chart zooms them all; the guard stops the charts echoing it back.
  let syncing = false;
  const syncX = (u: uPlot) => {
    if (syncing) return;
    syncing = true;
    const { min, max } = u.scales.x;
    for (const p of plots) if (p !== u && min != null && max != null) p.setScale('x', { min, max });
    syncing = false;
  };
  const moveMarker: ((distance: number | null) => void)[] = [];
  const makePlot = (el: PlotEl, title: string, unit: string, data: uPlot.AlignedData, series: uPlot.Series[], height: number) => {
    const opts: uPlot.Options = {
      title,
      width,
      height,
      cursor: { sync: { key: SYNC_KEY, setSeries: false }, drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: plots.length === CHANNELS.length ? 'Distance (m)' : undefined, size: 30 }, { label: unit, size: 55 }],
      series: [{ label: 'm', value: (_u, v) => (v == null ? '–' : `${v.toFixed(0)} m`) }, ...series],
      legend: { live: true },
      hooks: {
        setScale: [(u, key) => key === 'x' && syncX(u)],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            const d = idx == null ? null : (u.data[0][idx] ?? null);
            for (const f of moveMarker) f(d);
          },
        ],
      },
    };
    const plot = new uPlot(opts, data, el);
    el.uplot = plot;
    plots.push(plot);
  };

  // Delta trace.
  const deltaEl: PlotEl = h('div', { class: 'chart', 'data-testid': 'delta-chart' });
  charts.append(deltaEl);
  makePlot(deltaEl, 'Delta time (B − A)', 's', [compare.delta.distance_m, compare.delta.delta_s], [{ label: 'delta', stroke: '#6a1b9a', width: 2, fill: 'rgba(106,27,154,0.08)', value: (_u, v) => (v == null ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(3)} s`) }], 170);
  deltaEl.dataset.points = String(compare.delta.delta_s.filter((v) => v != null && Number.isFinite(v)).length);

  // Channel overlays: A and B have their own distance arrays (sample rates differ), so
  // they are joined on the union of distances with gaps spanned.
  const find = (list: Channel[], name: string) => list.find((c) => (c.requested ?? c.name) === name || c.name === name);
  const missing: string[] = [];
  for (const c of CHANNELS) {
    const ta = find(compare.traces.a, c.name);
    const tb = find(compare.traces.b, c.name);
    const usable = (t: Channel | undefined): t is Channel & { distance_m: number[] } => !!t?.value?.length && Array.isArray(t.distance_m);
    if (!usable(ta) && !usable(tb)) {
      missing.push(c.label);
      continue;
    }
    const tables: uPlot.AlignedData[] = [];
    const series: uPlot.Series[] = [];
    for (const [t, col, who] of [[ta, COLOR_A, 'A'], [tb, COLOR_B, 'B']] as const) {
      if (!t || !usable(t)) continue;
      tables.push([t.distance_m, t.value]);
      series.push({ label: who, stroke: col, width: 1.5, spanGaps: true, value: (_u, v) => (v == null ? '–' : `${Number(v.toFixed(2))} ${c.unit}`) });
    }
    const el: PlotEl = h('div', { class: 'chart', 'data-testid': `channel-${c.name}` });
    charts.append(el);
    makePlot(el, c.label, c.unit, tables.length > 1 ? uPlot.join(tables) : tables[0], series, c.name === 'gear' ? 110 : 140);
  }
  charts.prepend(zoomBar(plots));
  fitWidth(charts, (w) => plots.forEach((p) => p.setSize({ width: Math.max(480, w), height: p.height })));
  if (missing.length) charts.append(h('p', { class: 'note', 'data-testid': 'missing-channels', text: `No samples in the API's answer for: ${missing.join(', ')}.` }));

  // Track map, then A's laps (GET …/laps): a row's button shows that lap as A.
  const lapTable = lapsTable(a, lapsA, lapA, (n) => rerender({ lap: String(n) }));
  side.append(loading('the track map'));
  const map = await mapPromise;
  if (ctx.signal.aborted) return;
  if (!(map instanceof Error) && (map as TrackMap).available && !(map as TrackMap).lat?.length) {
    side.replaceChildren(section('Track map', h('p', { class: 'note', text: `No GPS points for lap ${lapA} of ${a.vehicle_id}.` })));
  } else if (map instanceof Error || !(map as TrackMap).available) {
    const why = map instanceof ApiError ? errorBox(map, 'The track map (GET …/track-map)') : h('p', { class: 'note', text: `No track map: ${(map as TrackMap).detail ?? (map as Error).message}` });
    side.replaceChildren(section('Track map', why));
  } else {
    side.replaceChildren(section('Track map', drawMap(map as TrackMap, moveMarker), h('p', { class: 'note', text: `Lap ${lapA} of ${a.vehicle_id}, coloured by speed (blue slow, red fast).` })));
  }
  if (lapTable) side.append(lapTable);
}

// GPS trace on a canvas, each segment coloured by speed; a dot follows the charts' cursor.
function drawMap(map: TrackMap, moveMarker: ((distance: number | null) => void)[]): HTMLElement {
  const lat = map.lat ?? [];
  const lon = map.lon ?? [];
  // null where the car has no speed channel: 0, so the trace is one colour.
  const speed = (map.speed_kmh ?? []).map(Number);
  const dist = map.distance_m ?? [];
  const size = 320;
  const dpr = window.devicePixelRatio || 1;
  const canvas = h('canvas', { width: size * dpr, height: size * dpr, style: `width:${size}px;height:${size}px`, role: 'img', 'aria-label': 'Track map coloured by speed', 'data-testid': 'track-map' });
  const overlay = h('canvas', { width: size * dpr, height: size * dpr, style: `width:${size}px;height:${size}px`, class: 'overlay', 'aria-hidden': 'true' });
  // Equirectangular projection around the mean latitude is exact enough for one track.
  const lat0 = (lat.reduce((s, v) => s + v, 0) / Math.max(1, lat.length)) * (Math.PI / 180);
  const xs = lon.map((v) => v * Math.cos(lat0));
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...lat);
  const maxY = Math.max(...lat);
  const scale = ((size - 20) * dpr) / Math.max(maxX - minX, maxY - minY, 1e-9);
  const px = (i: number) => 10 * dpr + (xs[i] - minX) * scale;
  const py = (i: number) => size * dpr - 10 * dpr - (lat[i] - minY) * scale;
  const lo = Math.min(...speed);
  const hi = Math.max(...speed);
  const g = canvas.getContext('2d');
  if (g) {
    g.lineWidth = 3 * dpr;
    g.lineCap = 'round';
    for (let i = 1; i < lat.length; i++) {
      const t = hi > lo ? (speed[i] - lo) / (hi - lo) : 0.5;
      g.strokeStyle = `hsl(${240 - 240 * t}, 80%, 45%)`;
      g.beginPath();
      g.moveTo(px(i - 1), py(i - 1));
      g.lineTo(px(i), py(i));
      g.stroke();
    }
  }
  moveMarker.push((d) => {
    const o = overlay.getContext('2d');
    if (!o) return;
    o.clearRect(0, 0, overlay.width, overlay.height);
    if (d == null || dist.length === 0) return;
    let i = dist.findIndex((v) => v >= d);
    if (i < 0) i = dist.length - 1;
    o.fillStyle = '#000';
    o.beginPath();
    o.arc(px(i), py(i), 5 * dpr, 0, 2 * Math.PI);
    o.fill();
  });
  return h('div', { class: 'map' }, canvas, overlay);
}

// Zoom and pan without a mouse (buttons) and with the wheel; every chart follows the
// first one through the setScale hook.
function zoomBar(plots: uPlot[]): HTMLElement {
  const first = plots[0];
  const xs = first.data[0];
  const lo = xs[0];
  const hi = xs[xs.length - 1];
  const set = (min: number, max: number) => {
    const width = Math.max(10, Math.min(hi - lo, max - min));
    const start = Math.min(Math.max(lo, min), hi - width);
    first.setScale('x', { min: start, max: start + width });
  };
  const view = () => [first.scales.x.min ?? lo, first.scales.x.max ?? hi] as const;
  const zoom = (factor: number, centre?: number) => {
    const [min, max] = view();
    const c = centre ?? (min + max) / 2;
    set(c - (c - min) * factor, c + (max - c) * factor);
  };
  const pan = (fraction: number) => {
    const [min, max] = view();
    set(min + (max - min) * fraction, max + (max - min) * fraction);
  };
  for (const u of plots)
    u.over.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        zoom(e.deltaY < 0 ? 0.8 : 1.25, u.posToVal(e.offsetX, 'x'));
      },
      { passive: false },
    );
  const button = (label: string, title: string, action: () => void) => {
    const b = h('button', { type: 'button', title, 'aria-label': title, text: label });
    b.addEventListener('click', action);
    return b;
  };
  return h(
    'div',
    { class: 'zoom-bar', role: 'toolbar', 'aria-label': 'Zoom and pan the charts' },
    button('+', 'Zoom in', () => zoom(0.5)),
    button('−', 'Zoom out', () => zoom(2)),
    button('◀', 'Pan towards the start of the lap', () => pan(-0.25)),
    button('▶', 'Pan towards the end of the lap', () => pan(0.25)),
    button('Whole lap', 'Show the whole lap', () => set(lo, hi)),
    h('span', { class: 'note', text: ' or drag to zoom, wheel to zoom at the cursor, double-click to reset' }),
  );
}

function lapsTable(v: Vehicle, laps: TelemetryLap[], current: number, choose: (lap: number) => void): HTMLElement | null {
  if (laps.length === 0) return null;
  const num = (x: number | null | undefined, digits = 0) => (x == null ? '–' : x.toFixed(digits));
  return section(
    `Laps of ${v.car_number ? '#' + v.car_number : v.vehicle_id}`,
    h(
      'table',
      { class: 'tele-laps' },
      h('caption', {}, 'From ', h('code', { text: 'GET …/laps' }), '; flagged laps are marked.'),
      h('thead', {}, h('tr', {}, ...['Lap', 'Time', 'Vmax', 'Thr %', 'Brakes'].map((t) => h('th', { scope: 'col', class: t === 'Lap' ? '' : 'num', text: t })))),
      h(
        'tbody',
        {},
        ...laps.map((l) => {
          const b = h('button', { type: 'button', 'aria-pressed': l.lap_number === current ? 'true' : 'false', title: `Show lap ${l.lap_number} as A`, text: String(l.lap_number) });
          b.addEventListener('click', () => choose(l.lap_number));
          return h(
            'tr',
            { class: l.valid === false ? 'flagged-lap' : '', title: l.invalid_reason ?? undefined },
            h('td', {}, b),
            h('td', { class: 'num', text: fmtLap(l.lap_time_s) + (l.valid === false ? ' ✕' : '') }),
            h('td', { class: 'num', text: num(l.speed?.max) }),
            h('td', { class: 'num', text: num(l.throttle_mean_pct) }),
            h('td', { class: 'num', text: l.samples === 0 ? 'no samples' : num(l.braking_events) }),
          );
        }),
      ),
    ),
  );
}
