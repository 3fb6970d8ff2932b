// The Data view: where the data comes from, the catalog and the session's quality report.
// No query keys of its own; it also shows a track that has no sessions. The page
// (data_page.ts) loads when the view is first shown.
import type { View } from '../view';

export const dataView: View<never> = {
  id: 'data',
  label: 'Data',
  keys: {},
  needsSession: false,
  render: async (ctx) => (await import('./data_page')).renderData(ctx),
};
