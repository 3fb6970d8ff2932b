// The Sectors view: no query keys of its own; the table (sectors_table.ts) loads when the
// view is first shown.
import type { View } from '../view';

export const sectorsView: View<never> = {
  id: 'sectors',
  label: 'Sectors',
  keys: {},
  needsSession: true,
  render: async (ctx) => (await import('./sectors_table')).renderSectors(ctx),
};
