// The documented HTTP API (docs/api.md, /openapi.json) as typed fetches. The dashboard
// computes nothing the API already answers: every number shown comes from here.
import type { components, paths } from './generated/openapi';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly path: string,
  ) {
    super(`${path}: ${status} ${detail}`);
  }
  // 404 from the router or 501 from a placeholder: the server has no such endpoint yet.
  get missingEndpoint(): boolean {
    return this.status === 501 || (this.status === 404 && this.detail.startsWith('no route'));
  }
}

// Requests started before the view asks for them (the shared link's leaderboard, fetched
// while the track list loads); each is handed out once.
const early = new Map<string, Promise<unknown>>();
export function prefetch(path: string): void {
  const p = fetchJson(path);
  // A failed early request is dropped, so the view asks again (after a token, say) instead
  // of being handed a stale failure.
  p.catch(() => early.get(path) === p && early.delete(path));
  early.set(path, p);
}

export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const started = early.get(path);
  if (started) {
    early.delete(path);
    return started as Promise<T>;
  }
  return fetchJson<T>(path, signal);
}

// API_TOKEN: a server started with it answers 401 to every /api request without
// `Authorization: Bearer <token>`. The token is asked for once (ui's token form, registered
// by main), kept for this browser tab only (sessionStorage: gone when the tab closes, never
// in the URL or in localStorage) and sent with every request.
const TOKEN_KEY = 'apex.apiToken';
export type TokenPrompt = (rejected: boolean, detail: string) => Promise<string | null>;
let tokenPrompt: TokenPrompt | null = null;
let pendingPrompt: Promise<string | null> | null = null;

export function onTokenNeeded(prompt: TokenPrompt): void {
  tokenPrompt = prompt;
}

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the token lives only as long as this page
  }
}

let pageToken: string | null = null;
function keepToken(token: string | null): void {
  pageToken = token;
  try {
    if (token == null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: pageToken still serves this page
  }
}
const currentToken = () => storedToken() ?? pageToken;

// Every request that meets a 401 while the form is open waits for the same answer.
function askForToken(rejected: boolean, detail: string): Promise<string | null> {
  if (!pendingPrompt) {
    const prompt = tokenPrompt ? tokenPrompt(rejected, detail) : Promise.resolve(null);
    pendingPrompt = prompt.finally(() => (pendingPrompt = null));
  }
  return pendingPrompt;
}

async function errorDetail(response: Response): Promise<string> {
  try {
    const body = await response.json();
    return typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
  } catch {
    return response.statusText; // not JSON: keep the status text
  }
}

// Requests index.html's inline script started before this bundle ran; each is taken once.
declare global {
  interface Window {
    __apexEarly?: Record<string, Promise<Response>>;
  }
}
function takeEarly(path: string): Promise<Response> | undefined {
  const early = window.__apexEarly;
  const p = early?.[path];
  if (p) delete early[path];
  return p;
}

async function fetchJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let early = takeEarly(path);
  for (;;) {
    const token = currentToken();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      // The early request carried the same token (read from the same sessionStorage).
      response = await (early ?? fetch(path, { headers, signal }));
      early = undefined;
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, `the server did not answer (${(e as Error).message})`, path);
    }
    if (response.ok) return (await response.json()) as T;
    const detail = await errorDetail(response);
    if (response.status === 401 && tokenPrompt) {
      // A token sent and refused is forgotten, so the form says it was wrong; a newer
      // token (entered while this request was under way) is simply tried.
      if (token && currentToken() === token) keepToken(null);
      if (!currentToken()) {
        const entered = await askForToken(token != null, detail);
        if (entered == null) throw new ApiError(401, detail, path);
        keepToken(entered);
      }
      signal?.throwIfAborted();
      continue;
    }
    throw new ApiError(response.status, detail, path);
  }
}

const enc = encodeURIComponent;
export const sessionPath = (t: string, s: string) => `/api/analytics/track/${enc(t)}/session/${enc(s)}`;
export const telemetryPath = (t: string, s: string) => `/api/telemetry/track/${enc(t)}/session/${enc(s)}`;

// The answers' types, generated at build time from the server's OpenAPI document
// (web/openapi.json, written by `apex openapi`; `npm run api-types`), never written here.
type Schemas = components['schemas'];
// The JSON of a GET route's 200 answer, for the answers whose schema has no name.
type Answer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer T } } } } } ? T : never;
type TelemetryRoute = '/api/telemetry/track/{track}/session/{session}';
type TelemetryDriverRoute<R extends string> = `${TelemetryRoute}/driver/{driver}/${R}`;

export type Health = Schemas['Health'];
export type TrackFiles = Schemas['TrackFiles'];
export type QualityReport = Schemas['QualityReport'];
export type LeaderboardRow = Schemas['LeaderboardEntry'];
export type Lap = Schemas['Lap'];
export type SectorAnalysis = Schemas['SectorAnalysis'];

export type Vehicles = Answer<`${TelemetryRoute}/vehicles`>;
export type Vehicle = Vehicles['vehicles'][number];
export type TelemetryLaps = Answer<TelemetryDriverRoute<'laps'>>;
export type TelemetryLap = TelemetryLaps['laps'][number];
export type Compare = Answer<TelemetryDriverRoute<'compare'>>;
export type Channel = Compare['traces']['a'][number];
export type TrackMap = Answer<TelemetryDriverRoute<'track-map'>>;

export function fmtLap(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return m > 0 ? `${m}:${s.toFixed(3).padStart(6, '0')}` : s.toFixed(3);
}
export function fmtGap(seconds: number | null | undefined): string {
  if (seconds == null) return '–';
  return seconds === 0 ? '–' : `+${seconds.toFixed(3)}`;
}
