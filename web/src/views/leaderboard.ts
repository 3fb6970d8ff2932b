// Leaderboard: /leaderboard as a sortable table. Positions, gaps and the theoretical
// best are the API's (flagged laps are never counted there); `source` says whether a
// car's numbers come from official timing or from ECU lap crossings.
import { fmtGap, fmtLap, getJson, sessionPath, type LeaderboardRow } from '../api';
import { errorBox, h, loading, section } from '../ui';
import type { View, ViewContext } from '../view';
import { lapsLink } from './laps';

type Key = keyof LeaderboardRow;
interface Column {
  key: Key;
  label: string;
  numeric: boolean;
  cell: (r: LeaderboardRow) => string;
  title?: string;
}

const COLUMNS: Column[] = [
  { key: 'position', label: 'Pos', numeric: true, cell: (r) => (r.position == null ? '–' : String(r.position)) },
  { key: 'car_number', label: 'Car', numeric: true, cell: (r) => r.car_number ?? '–' },
  { key: 'driver_id', label: 'Driver', numeric: false, cell: (r) => r.driver_id },
  {
    key: 'best_lap',
    label: 'Best lap',
    numeric: true,
    cell: (r) => fmtLap(r.best_lap) + (r.best_lap_number != null ? ` (L${r.best_lap_number})` : ''),
  },
  { key: 'gap_to_leader', label: 'Gap', numeric: true, cell: (r) => fmtGap(r.gap_to_leader), title: 'to the leader' },
  { key: 'gap_to_ahead', label: 'Interval', numeric: true, cell: (r) => fmtGap(r.gap_to_ahead), title: 'to the car ahead' },
  {
    key: 'theoretical_best',
    label: 'Theoretical best',
    numeric: true,
    cell: (r) => fmtLap(r.theoretical_best),
    title: 'sum of the best official sectors',
  },
  {
    key: 'laps_within_05s_percent',
    label: 'Consistency',
    numeric: true,
    cell: (r) => (r.laps_within_05s_percent == null ? '–' : `${r.laps_within_05s_percent.toFixed(1)} %`),
    title: 'valid laps within 0.5 s of the best',
  },
  { key: 'valid_laps', label: 'Laps', numeric: true, cell: (r) => `${r.valid_laps}/${r.total_laps}`, title: 'valid / total' },
  { key: 'source', label: 'Source', numeric: false, cell: (r) => r.source, title: 'timing source of this row' },
];

function compare(a: LeaderboardRow, b: LeaderboardRow, key: Key): number {
  const x = a[key];
  const y = b[key];
  if (x == null && y == null) return 0;
  if (x == null) return 1; // unranked rows stay last whichever way the column sorts
  if (y == null) return -1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const nx = Number(x);
  const ny = Number(y);
  if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
  return String(x).localeCompare(String(y));
}

// The sort order is part of the link (?sort=best_lap&order=desc), like the selection.
type QueryKey = 'sort' | 'order';

export const leaderboardView: View<QueryKey> = {
  id: 'leaderboard',
  label: 'Leaderboard',
  keys: { sort: 'setting', order: 'setting' },
  needsSession: true,
  render: renderLeaderboard,
};

async function renderLeaderboard(ctx: ViewContext<QueryKey>): Promise<void> {
  const status = loading('the leaderboard');
  ctx.root.append(status);
  let rows: LeaderboardRow[];
  try {
    rows = await getJson<LeaderboardRow[]>(`${sessionPath(ctx.track, ctx.session)}/leaderboard`, ctx.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    status.replaceWith(errorBox(e, 'the leaderboard'));
    return;
  }
  const linked = COLUMNS.find((c) => c.key === ctx.query.get('sort'));
  let sortKey: Key = linked?.key ?? 'position';
  let ascending = ctx.query.get('order') !== 'desc';
  const table = h('table', { class: 'leaderboard', 'data-testid': 'leaderboard' });
  const caption = h(
    'caption',
    {},
    `${ctx.track} · ${ctx.session}: best valid lap per car (flagged laps never counted). `,
    'Source: official timing where a car has it, else ECU lap crossings. From ',
    h('code', { text: 'GET …/leaderboard' }),
    '.',
  );

  const draw = () => {
    const sorted = [...rows].sort((a, b) => {
      const c = compare(a, b, sortKey);
      return ascending ? c : a[sortKey] == null || b[sortKey] == null ? c : -c;
    });
    const head = h(
      'tr',
      {},
      ...COLUMNS.map((col) => {
        const button = h('button', { type: 'button', title: col.title ? `Sort by ${col.label} (${col.title})` : `Sort by ${col.label}` }, col.label);
        button.addEventListener('click', () => {
          ascending = sortKey === col.key ? !ascending : true;
          sortKey = col.key;
          const plain = sortKey === 'position' && ascending;
          ctx.query.set({ sort: plain ? null : sortKey, order: ascending ? null : 'desc' }, false);
          draw();
          (table.querySelector(`th[data-key="${col.key}"] button`) as HTMLButtonElement | null)?.focus();
        });
        return h(
          'th',
          {
            scope: 'col',
            class: col.numeric ? 'num' : '',
            'data-key': col.key,
            'aria-sort': sortKey === col.key ? (ascending ? 'ascending' : 'descending') : 'none',
          },
          button,
        );
      }),
    );
    const body = h(
      'tbody',
      {},
      ...sorted.map((r) =>
        h(
          'tr',
          { 'data-driver': r.driver_id, title: r.unranked_reason ?? undefined },
          ...COLUMNS.map((col) =>
            h(
              'td',
              { class: col.numeric ? 'num' : '', 'data-key': col.key, 'data-value': String(r[col.key] ?? '') },
              // The driver links to their laps: a plain link, so it can be opened or shared.
              col.key === 'driver_id' ? h('a', { href: lapsLink(ctx.track, ctx.session, r.driver_id), title: `Lap times of ${r.driver_id}`, text: col.cell(r) }) : col.cell(r),
            ),
          ),
        ),
      ),
    );
    table.replaceChildren(caption, h('thead', {}, head), body);
  };
  draw();
  status.replaceWith(section('Leaderboard', h('div', { class: 'scroll' }, table)));
  // First meaningful paint: the frame after the table is in the DOM (read by the e2e test).
  requestAnimationFrame(() => performance.mark('apex:leaderboard-painted'));
}
