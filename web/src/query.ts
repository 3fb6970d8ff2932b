// The selection lives in the query string (/?track=ID&session=R1&view=laps...), so any
// view can be shared as a link and the back button walks through selections. Keys are read,
// parsed and written here; which keys exist is up to their owners (main.ts: track, session,
// view; each view its own, declared in its View). index.html's inline script, which runs
// before any module, reads track, session and view itself.

// What a key's value belongs to, which decides when it is dropped: a driver belongs to a
// track (dropped when the track changes), a lap number to a session (dropped when the track
// or the session changes); a setting (a sort order, a timing source) holds across both.
export type KeyScope = 'track' | 'session' | 'setting';

// The query keys K of one owner. Functions, not methods, so that a Query of fewer keys
// cannot stand in for one of more (the type checker compares their parameters strictly).
export interface Query<K extends string> {
  // The value, or null when the key is absent.
  get: (key: K) => string | null;
  // The value as a number, or null when absent or not a number (an empty value is 0).
  number: (key: K) => number | null;
  // A comma-separated list, without empty items.
  list: (key: K) => string[];
  // Sets keys (a list is joined with commas); null or an empty value removes the key. push
  // adds a history entry, else the current one is replaced.
  set: (values: Partial<Record<K, string | readonly string[] | null>>, push?: boolean) => void;
}

function get(key: string): string | null {
  return new URLSearchParams(location.search).get(key);
}

function set(values: Record<string, string | readonly string[] | null | undefined>, push = true): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(values)) {
    const text = typeof v === 'string' || v == null ? v : v.join(',');
    if (text == null || text === '') q.delete(k);
    else q.set(k, text);
  }
  const url = `${location.pathname}?${q.toString()}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

const QUERY: Query<string> = {
  get,
  number: (key) => {
    const v = get(key);
    const n = v == null ? NaN : Number(v);
    return Number.isNaN(n) ? null : n;
  },
  list: (key) => (get(key) ?? '').split(',').filter((item) => item !== ''),
  set,
};

export function urlQuery<K extends string>(): Query<K> {
  return QUERY;
}

// The keys of `owners` whose values belong to one of `scopes`, each set to null: what to
// pass to set() alongside a change of track or session.
export function dropped(owners: { keys: Record<string, KeyScope> }[], ...scopes: KeyScope[]): Record<string, null> {
  const out: Record<string, null> = {};
  for (const owner of owners)
    for (const [key, scope] of Object.entries(owner.keys)) if (scopes.includes(scope)) out[key] = null;
  return out;
}
