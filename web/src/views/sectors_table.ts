// Sectors (GET …/sector-analysis): each driver's best official sectors against the
// session's best, the time lost in each, and the theoretical best they add up to.
import { fmtLap, getJson, sessionPath, type SectorAnalysis } from '../api';
import { errorBox, h, loading, section } from '../ui';
import type { ViewContext } from '../view';

const fmtLoss = (s: number | null | undefined) => (s == null ? '–' : s === 0 ? 'best' : `+${s.toFixed(3)}`);
type SectorName = keyof SectorAnalysis['session_best'];

export async function renderSectors(ctx: ViewContext<never>): Promise<void> {
  const status = loading('sectors');
  ctx.root.append(status);
  let data: SectorAnalysis;
  try {
    data = await getJson<SectorAnalysis>(`${sessionPath(ctx.track, ctx.session)}/sector-analysis`, ctx.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    status.replaceWith(errorBox(e, 'the sector analysis'));
    return;
  }
  const names = (Object.keys(data.session_best) as SectorName[]).sort();
  if (names.length === 0 || data.drivers.length === 0) {
    status.replaceWith(section('Sectors', h('p', { text: 'This session has no official sector times.' })));
    return;
  }
  // Bar lengths share one scale: the largest time lost in any sector.
  const maxLoss = Math.max(0.001, ...data.drivers.flatMap((d) => names.map((n) => d.sectors[n]?.lost_to_session_best ?? 0)));
  const bestRow = h(
    'tr',
    { class: 'session-best' },
    h('th', { scope: 'row', text: 'Session best' }),
    ...names.map((n) => {
      const best = data.session_best[n];
      // time is null for a sector no lap has a time for.
      return h('td', { class: 'num' }, `${best.time?.toFixed(3) ?? '–'} `, h('small', { text: `#${best.car_number ?? best.driver_id} L${best.lap}` }));
    }),
    h('td', { class: 'num', text: fmtLap(data.theoretical_best) }),
    h('td', {}),
    h('td', {}),
  );
  const rows = data.drivers.map((d) =>
    h(
      'tr',
      { 'data-driver': d.driver_id },
      h('th', { scope: 'row' }, d.car_number ? `#${d.car_number} ` : '', h('small', { text: d.driver_id })),
      ...names.map((n) => {
        const s = d.sectors[n];
        const loss = s?.lost_to_session_best ?? null;
        return h(
          'td',
          { class: 'num sector', title: s ? `best ${s.best?.toFixed(3)} (lap ${s.best_lap_number}), mean ${s.mean?.toFixed(3)} over ${s.green_laps} green laps` : '' },
          h('span', { text: s?.best != null ? s.best.toFixed(3) : '–' }),
          h('span', { class: loss === 0 ? 'loss best' : 'loss', text: fmtLoss(loss) }),
          h('span', { class: 'bar', style: `width:${loss ? Math.max(2, (loss / maxLoss) * 100) : 0}%`, 'aria-hidden': 'true' }),
        );
      }),
      h('td', { class: 'num', text: fmtLap(d.theoretical_best) }),
      h('td', { class: 'num', text: fmtLoss(d.lost_to_session_theoretical_best) }),
      h('td', { class: 'num', text: d.potential_gain == null ? '–' : d.potential_gain.toFixed(3) }),
    ),
  );
  const table = h(
    'table',
    { class: 'sectors', 'data-testid': 'sectors' },
    h('caption', {}, 'Best official sector per driver (green laps) and time lost to the session best; bars share one scale. From ', h('code', { text: 'GET …/sector-analysis' }), '.'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col', text: 'Driver' }), ...names.map((n) => h('th', { scope: 'col', class: 'num', text: n.toUpperCase() })), h('th', { scope: 'col', class: 'num', text: 'Theoretical best' }), h('th', { scope: 'col', class: 'num', text: 'Lost to session TB' }), h('th', { scope: 'col', class: 'num', title: 'best lap minus own theoretical best', text: 'Potential gain' })),
    ),
    h('tbody', {}, bestRow, ...rows),
  );
  status.replaceWith(section('Sectors', h('div', { class: 'scroll' }, table)));
}
