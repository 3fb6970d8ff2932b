// Data page: where the data comes from, what the catalog made of it and the session's
// data-quality report (GET /health, GET /api/analytics/track/{t}/files,
// GET /api/analytics/track/{t}/session/{s}/quality).
import { getJson, type Health, type QualityReport, type TrackFiles } from '../api';
import { errorBox, h, loading, section } from '../ui';
import type { ViewContext } from '../view';

// One table per check with findings; a check with none is its summary line.
function qualityPanel(report: QualityReport): HTMLElement {
  const checks = report.checks.map((check) =>
    h(
      'div',
      { class: `quality quality-${check.status}`, 'data-check': check.id, 'data-status': check.status },
      h('h3', { text: `${check.title}: ${check.status}` }),
      h('p', { class: 'note', text: check.summary }),
      check.findings.length
        ? h(
            'table',
            { class: 'files' },
            h('thead', {}, h('tr', {}, ...['', 'Subject', 'Found', 'Decided'].map((t) => h('th', { scope: 'col', text: t })))),
            h(
              'tbody',
              {},
              ...check.findings.map((f) =>
                h('tr', { 'data-status': f.status }, h('td', { class: f.status === 'warning' ? 'bad' : '', text: f.status }), h('td', { text: f.subject }), h('td', { text: f.found }), h('td', { text: f.decided })),
              ),
            ),
          )
        : null,
    ),
  );
  const panel = section(`Data quality of ${report.track} ${report.session}: ${report.status}`, ...checks);
  panel.setAttribute('data-testid', 'quality');
  return panel;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function renderData(ctx: ViewContext<never>): Promise<void> {
  const status = loading('the catalog');
  ctx.root.append(status);
  let health: Health;
  let files: TrackFiles;
  let quality: QualityReport;
  try {
    [health, files, quality] = await Promise.all([
      getJson<Health>('/health', ctx.signal),
      getJson<TrackFiles>(`/api/analytics/track/${encodeURIComponent(ctx.track)}/files`, ctx.signal),
      getJson<QualityReport>(`/api/analytics/track/${encodeURIComponent(ctx.track)}/session/${encodeURIComponent(ctx.session)}/quality`, ctx.signal),
    ]);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    status.replaceWith(errorBox(e, 'the data page'));
    return;
  }
  const c = health.cache;
  const source = section(
    'Data source',
    h(
      'dl',
      { class: 'facts' },
      h('dt', { text: 'Status' }),
      h('dd', { class: health.status === 'healthy' ? 'ok' : 'bad', text: health.status + (health.data_source_error ? `: ${health.data_source_error}` : '') }),
      h('dt', { text: 'Source' }),
      h('dd', { text: health.data_source }),
      h('dt', { text: 'Tracks' }),
      h('dd', { text: String(health.tracks) }),
      h('dt', { text: 'Track facts' }),
      h('dd', { text: health.track_facts ?? 'none' }),
      h('dt', { text: 'Cache' }),
      h('dd', { text: `${c.sessions} sessions, ${mb(c.bytes)} of ${mb(c.max_bytes)}; ${c.loads} loads, ${c.hits} hits, ${c.evictions} evictions` }),
    ),
  );
  const sessions = Object.entries(files.sessions).map(([name, s]) =>
    h(
      'div',
      {},
      h('h3', { text: `Session ${name}` }),
      h('table', { class: 'files' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Role' }), h('th', { scope: 'col', text: 'Object' }))), h('tbody', {}, ...Object.entries(s.files).map(([role, key]) => h('tr', {}, h('td', { text: role }), h('td', {}, h('code', { text: key })))))),
      s.alternates.length ? h('p', { class: 'note', text: `${s.alternates.length} alternate file(s) not used: ${JSON.stringify(s.alternates)}` }) : null,
    ),
  );
  const unrecognised = files.unrecognised.length
    ? h('ul', {}, ...files.unrecognised.map((u) => h('li', {}, h('code', { text: JSON.stringify(u) }))))
    : h('p', { text: 'None: every file of this track was recognised.' });
  status.replaceWith(source, qualityPanel(quality), section(`Catalog of ${files.track}`, ...sessions, h('h3', { text: 'Unrecognised files' }), unrecognised));
}
