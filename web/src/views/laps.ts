// The Lap times view: its query keys and a link to it. The chart (lapchart.ts, with uPlot)
// loads when the view is first shown.
import { loading } from '../ui';
import type { View } from '../view';
import type { LapChartKey } from './lapchart';

export const lapsView: View<LapChartKey> = {
  id: 'laps',
  label: 'Lap times',
  // drivers: the drivers drawn, ids of this track; source=ecu: ECU lap crossings only.
  keys: { drivers: 'track', source: 'setting' },
  needsSession: true,
  render: async (ctx) => {
    ctx.root.append(loading('the chart'));
    await (await import('./lapchart')).renderLapChart(ctx);
  },
};

// The lap times of one driver, as a link that can be opened or shared.
export function lapsLink(track: string, session: string, driver: string): string {
  return `/?${new URLSearchParams({ track, session, view: lapsView.id, drivers: driver })}`;
}
