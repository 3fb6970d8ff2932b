// The Telemetry view: its query keys; the overlay (telemetry_overlay.ts, with uPlot) loads
// when the view is first shown.
import { loading } from '../ui';
import type { View } from '../view';
import type { TelemetryKey } from './telemetry_overlay';

export const telemetryView: View<TelemetryKey> = {
  id: 'telemetry',
  label: 'Telemetry',
  // driver, driver_b: the vehicle ids of cars A and B; lap, lap_b: their laps; points: samples
  // per channel asked of the API.
  keys: { driver: 'track', driver_b: 'track', lap: 'session', lap_b: 'session', points: 'setting' },
  needsSession: true,
  render: async (ctx) => {
    ctx.root.append(loading('telemetry'));
    await (await import('./telemetry_overlay')).renderTelemetry(ctx);
  },
};
