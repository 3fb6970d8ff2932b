// What main.ts and a view share: the context a view renders in, and the View each view
// module exports. Its own module, so that main imports the views and no view imports main.
import type { KeyScope, Query } from './query';

// K: the view's query keys.
export interface ViewContext<K extends string = string> {
  track: string;
  session: string; // '' when the track has no sessions (only views without needsSession see that)
  root: HTMLElement;
  signal: AbortSignal; // aborted when another render starts
  query: Query<K>;
}

export interface View<K extends string = string> {
  id: string; // the value of ?view= (the first view in main's list needs none)
  label: string;
  // The view's query keys, and what each value belongs to: main drops them when the track or
  // the session changes (query.ts, KeyScope).
  keys: Record<K, KeyScope>;
  needsSession: boolean;
  render: (ctx: ViewContext<K>) => Promise<void>;
}
