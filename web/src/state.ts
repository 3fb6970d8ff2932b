// The selection lives in the query string (/?track=ID&session=R1&view=laps...), so any
// view can be shared as a link and the back button walks through selections.

export type View = 'leaderboard' | 'laps' | 'sectors' | 'telemetry' | 'data';
export const VIEWS: { id: View; label: string }[] = [
  { id: 'leaderboard', label: 'Leaderboard' },
  { id: 'laps', label: 'Lap times' },
  { id: 'sectors', label: 'Sectors' },
  { id: 'telemetry', label: 'Telemetry' },
  { id: 'data', label: 'Data' },
];

export function param(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

// Sets (or, with null, removes) query parameters; push adds a history entry.
export function setParams(values: Record<string, string | null>, push = true): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(values)) {
    if (v == null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const url = `${location.pathname}?${q.toString()}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

export function currentView(): View {
  const v = param('view');
  return VIEWS.some((x) => x.id === v) ? (v as View) : 'leaderboard';
}
