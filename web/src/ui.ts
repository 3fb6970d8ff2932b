// Small DOM helpers shared by the views: element creation, loading and error states.
import { ApiError } from './api';

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c != null) el.append(c);
  return el;
}

// A loading note that counts seconds, so a slow (cold, S3) load visibly progresses.
export function loading(what: string): HTMLElement {
  const el = h('p', { class: 'loading', role: 'status', 'aria-live': 'polite' }, `Loading ${what}…`);
  const started = performance.now();
  const timer = window.setInterval(() => {
    if (!el.isConnected) return window.clearInterval(timer);
    const s = Math.round((performance.now() - started) / 1000);
    // A wait this long is the server reading files (a session's first load, from S3 maybe):
    // saying so tells the user nothing is stuck.
    if (s >= 1) el.textContent = `Loading ${what}… ${s} s${s >= 3 ? ' (the server is reading the data files: a first load can take a while)' : ''}`;
  }, 500);
  return el;
}

// Asks main to render the current view again (after a token was entered, for one).
export const RETRY_EVENT = 'apex:retry';

export function errorBox(error: unknown, what: string): HTMLElement {
  let text: string;
  if (error instanceof ApiError && error.status === 401) {
    // The token form was closed without a token: say what is needed and offer it again.
    const retry = h('button', { type: 'button', text: 'Enter the API token' });
    retry.addEventListener('click', () => window.dispatchEvent(new Event(RETRY_EVENT)));
    return h('div', { class: 'error', role: 'alert' }, `Could not load ${what}: this server asks for its API token (401) and none was given. `, retry);
  }
  if (error instanceof ApiError) {
    text = error.missingEndpoint
      ? `${what} is not available on this server yet (${error.status}: ${error.detail}).`
      : `Could not load ${what}: ${error.status ? error.status + ' ' : ''}${error.detail}`;
  } else {
    text = `Could not load ${what}: ${(error as Error)?.message ?? String(error)}`;
  }
  return h('p', { class: 'error', role: 'alert' }, text);
}

export function section(title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-label': title }, h('h2', { text: title }), ...children);
}

// Keeps charts as wide as their container when the window is resized (uPlot has a fixed size).
export function fitWidth(container: HTMLElement, resize: (width: number) => void): void {
  let last = container.clientWidth;
  const observer = new ResizeObserver(() => {
    if (!container.isConnected) return observer.disconnect();
    const width = container.clientWidth;
    if (width > 0 && Math.abs(width - last) > 4) {
      last = width;
      resize(width);
    }
  });
  observer.observe(container);
}
