// Dashboard entry: track and session pickers, view tabs, and the view of the moment.
// The leaderboard view is in the main bundle (first paint); chart views load uPlot lazily.
import './style.css';
import { getJson, onTokenNeeded, prefetch, sessionPath } from './api';
import { currentView, param, setParams, VIEWS, type View } from './state';
import { askForApiToken } from './token_form';
import { errorBox, h, loading, RETRY_EVENT } from './ui';
import { renderLeaderboard } from './views/leaderboard';

export interface ViewContext {
  track: string;
  session: string;
  root: HTMLElement;
  signal: AbortSignal;
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
        setParams({ view: v.id === 'leaderboard' ? null : v.id });
        void render();
      });
      tabs.append(b);
    }
  }
  for (const v of VIEWS) {
    const b = document.getElementById(`tab-${v.id}`) as HTMLButtonElement;
    b.setAttribute('aria-selected', v.id === active ? 'true' : 'false');
    b.tabIndex = v.id === active ? 0 : -1;
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
    const linked = param('track');
    if (tracks.length === 0 && linked) sessionsOf(linked).catch(() => undefined);
    if (tracks.length === 0) tracks = await getJson<string[]>('/api/analytics/tracks');
    if (tracks.length === 0) {
      main.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The data source holds no tracks.'));
      return;
    }
    let track = param('track') ?? '';
    if (!tracks.includes(track)) track = tracks[0];
    fillSelect(trackSelect, tracks, track);
    const sessions = await sessionsOf(track);
    let session = param('session') ?? '';
    if (!sessions.includes(session)) session = sessions[0] ?? '';
    fillSelect(sessionSelect, sessions, session);
    setParams({ track, session }, false);
    if (controller.signal.aborted) return;
    const root = h('div', { class: `view view-${view}` });
    main.replaceChildren(root);
    const ctx: ViewContext = { track, session, root, signal: controller.signal };
    if (view === 'data') {
      await (await import('./views/data')).renderData(ctx);
    } else if (!session) {
      root.append(h('p', { class: 'error', role: 'alert' }, `Track ${track} has no sessions.`));
    } else if (view === 'leaderboard') {
      await renderLeaderboard(ctx);
    } else if (view === 'laps') {
      root.append(loading('the chart'));
      await (await import('./views/lapchart')).renderLapChart(ctx);
    } else if (view === 'sectors') {
      await (await import('./views/sectors')).renderSectors(ctx);
    } else if (view === 'telemetry') {
      root.append(loading('telemetry'));
      await (await import('./views/telemetry')).renderTelemetry(ctx);
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    main.replaceChildren(errorBox(e, 'the dashboard'));
  }
}

trackSelect.addEventListener('change', () => {
  if (trackSelect.value === param('track')) return;
  setParams({ track: trackSelect.value, session: null, driver: null, lap: null, driver_b: null, lap_b: null, drivers: null });
  void render();
});
sessionSelect.addEventListener('change', () => {
  if (sessionSelect.value === param('session')) return; // re-picking the same session changes nothing
  setParams({ session: sessionSelect.value, lap: null, lap_b: null });
  void render();
});
window.addEventListener('popstate', () => void render());
window.addEventListener(RETRY_EVENT, () => void render());
onTokenNeeded(askForApiToken);

main.replaceChildren(loading('tracks'));
// First paint of a shared link: its leaderboard is fetched alongside tracks and sessions.
{
  const track = param('track');
  const session = param('session');
  if (track && session && currentView() === 'leaderboard') prefetch(`${sessionPath(track, session)}/leaderboard`);
}
void render();
