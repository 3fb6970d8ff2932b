// Dashboard entry: track and session pickers, view tabs, and the view of the moment.
// The leaderboard view is in the main bundle (first paint); the others load their code
// (and uPlot) when first shown.
import './style.css';
import { getJson, onTokenNeeded, prefetch, sessionPath } from './api';
import { dropped, urlQuery } from './query';
import { askForApiToken } from './token_form';
import { errorBox, h, loading, RETRY_EVENT } from './ui';
import type { View, ViewContext } from './view';
import { dataView } from './views/data';
import { lapsView } from './views/laps';
import { leaderboardView } from './views/leaderboard';
import { sectorsView } from './views/sectors';
import { telemetryView } from './views/telemetry';

// The tabs, in order; the first is the default view.
const VIEWS: View[] = [leaderboardView, lapsView, sectorsView, telemetryView, dataView];
const query = urlQuery<'track' | 'session' | 'view'>();

function currentView(): View {
  const id = query.get('view');
  return VIEWS.find((v) => v.id === id) ?? VIEWS[0];
}

const trackSelect = document.getElementById('track') as HTMLSelectElement;
const sessionSelect = document.getElementById('session') as HTMLSelectElement;
const tabs = document.getElementById('tabs') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;

let tracks: string[] = [];
const sessionsByTrack = new Map<string, Promise<string[]>>();
let inFlight: AbortController | null = null;

function sessionsOf(track: string): Promise<string[]> {
  let p = sessionsByTrack.get(track);
  if (!p) {
    p = getJson<string[]>(`/api/analytics/track/${encodeURIComponent(track)}/sessions`);
    p.catch(() => sessionsByTrack.delete(track));
    sessionsByTrack.set(track, p);
  }
  return p;
}

function fillSelect(select: HTMLSelectElement, values: string[], selected: string): void {
  select.replaceChildren(...values.map((v) => h('option', { value: v, selected: v === selected, text: v })));
}

// The tab buttons are made once and only restyled, so keyboard focus stays on them.
function renderTabs(active: View): void {
  if (tabs.childElementCount === 0) {
    for (const v of VIEWS) {
      const b = h('button', { role: 'tab', id: `tab-${v.id}`, 'aria-controls': 'main', text: v.label });
      b.addEventListener('click', () => {
        query.set({ view: v === VIEWS[0] ? null : v.id });
        void render();
      });
      tabs.append(b);
    }
  }
  for (const v of VIEWS) {
    const b = document.getElementById(`tab-${v.id}`) as HTMLButtonElement;
    b.setAttribute('aria-selected', v === active ? 'true' : 'false');
    b.tabIndex = v === active ? 0 : -1;
  }
}

// Arrow keys move between tabs (WAI-ARIA tabs pattern); Enter/Space activate as buttons do.
tabs.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
  const buttons = [...tabs.querySelectorAll<HTMLButtonElement>('button')];
  const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = buttons[(i + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length];
  next.focus();
  next.click();
  e.preventDefault();
});

async function render(): Promise<void> {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const view = currentView();
  renderTabs(view);
  try {
    // A shared link names its track: ask for its sessions while the track list loads.
    const linked = query.get('track');
    if (tracks.length === 0 && linked) sessionsOf(linked).catch(() => undefined);
    if (tracks.length === 0) tracks = await getJson<string[]>('/api/analytics/tracks');
    if (tracks.length === 0) {
      main.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The data source holds no tracks.'));
      return;
    }
    let track = query.get('track') ?? '';
    if (!tracks.includes(track)) track = tracks[0];
    fillSelect(trackSelect, tracks, track);
    const sessions = await sessionsOf(track);
    let session = query.get('session') ?? '';
    if (!sessions.includes(session)) session = sessions[0] ?? '';
    fillSelect(sessionSelect, sessions, session);
    query.set({ track, session }, false);
    if (controller.signal.aborted) return;
    const root = h('div', { class: `view view-${view.id}` });
    main.replaceChildren(root);
    const ctx: ViewContext = { track, session, root, signal: controller.signal, query: urlQuery() };
    if (!session && view.needsSession) {
      root.append(h('p', { class: 'error', role: 'alert' }, `Track ${track} has no sessions.`));
    } else {
      await view.render(ctx);
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    main.replaceChildren(errorBox(e, 'the dashboard'));
  }
}

trackSelect.addEventListener('change', () => {
  if (trackSelect.value === query.get('track')) return;
  query.set({ track: trackSelect.value, session: null, ...dropped(VIEWS, 'track', 'session') });
  void render();
});
sessionSelect.addEventListener('change', () => {
  if (sessionSelect.value === query.get('session')) return; // re-picking the same session changes nothing
  query.set({ session: sessionSelect.value, ...dropped(VIEWS, 'session') });
  void render();
});
window.addEventListener('popstate', () => void render());
window.addEventListener(RETRY_EVENT, () => void render());
onTokenNeeded(askForApiToken);

main.replaceChildren(loading('tracks'));
// First paint of a shared link: its leaderboard is fetched alongside tracks and sessions.
{
  const track = query.get('track');
  const session = query.get('session');
  if (track && session && currentView() === leaderboardView) prefetch(`${sessionPath(track, session)}/leaderboard`);
}
void render();
