// The diagnostic exchange: a devtools panel asks on one bridge event, every module that reports
// answers on another. Nothing is sent until a panel asks.
import type { DurableStatus } from '@bgstore/core';

/** The event a panel asks on. */
export const DIAGNOSTIC_REQUEST = 'bgstore:devtools:request';
/** The event modules answer on. */
export const DIAGNOSTIC_REPORT = 'bgstore:devtools:report';
/** Version of the report format. */
export const DIAGNOSTIC_VERSION = 1;

/** A panel's request: every reporter answers with a {@link ModuleReport}. */
export interface DiagnosticRequest {
  bgstoreDevtools: typeof DIAGNOSTIC_VERSION;
  /** Id of the asking panel (1–64 id characters, or the request is ignored); answers name it. */
  from: string;
  /** How many recent actions to include per module. */
  actions: number;
}

/** One action call seen by the module that made it. */
export interface ActionRecord {
  /** Unique within the reporting module. */
  id: number;
  name: string;
  /** When it was called (the module's clock, ms). */
  at: number;
  /** `pending` until its promise settles: `saved` (applied, and stored if the host persists) or `refused`. */
  outcome: 'pending' | 'saved' | 'refused';
  /** The refusal's `SyncError` code (`TIMEOUT`, `INVALID_ARGS`…). */
  code?: string;
  /** Call to settlement, ms. */
  ms?: number;
  /** JSON characters of the action's name and arguments (what the intent carries). */
  bytes: number;
}

/** What one module says about its copy of a store. */
export interface ModuleReport {
  bgstoreDevtools: typeof DIAGNOSTIC_VERSION;
  /** The asking panel's id. */
  to: string;
  /** The module (its manifest key, or the name the app gave). */
  module: string;
  /** Unique per reporter: two tabs of one module differ. */
  instance: string;
  role: 'host' | 'replica';
  store: string;
  /** The reporter's clock when it answered. */
  at: number;
  phase: string;
  epoch: string | null;
  version: number | null;
  /** Replica: calls not yet settled. Host: accepted intents not yet stored. */
  pending: number;
  resyncs: number;
  lastResync: { reason: string; at: number } | null;
  messages: { sent: number; bytesSent: number; received: number };
  durable: DurableStatus | null;
  /** A hash of the state's canonical JSON: equal epoch and version with another hash is a divergence. */
  stateHash: string;
  actions: ActionRecord[];
  /** Host counters. */
  host?: { intentsApplied: number; intentsRejected: number; duplicates: number; snapshotsSent: number; catchUpsSent: number; rebases: number };
}

/** What a reporter echoes back must be an id: 1–64 characters of `A–Z a–z 0–9 . _ : -` (#18.11). */
export const isPanelId = (x: unknown): x is string => typeof x === 'string' && /^[\w.:-]{1,64}$/.test(x);

export const isRequest = (x: unknown): x is DiagnosticRequest =>
  typeof x === 'object' && x !== null && (x as DiagnosticRequest).bgstoreDevtools === DIAGNOSTIC_VERSION && isPanelId((x as DiagnosticRequest).from) && Number.isFinite((x as DiagnosticRequest).actions);

export const isReport = (x: unknown): x is ModuleReport =>
  typeof x === 'object' &&
  x !== null &&
  (x as ModuleReport).bgstoreDevtools === DIAGNOSTIC_VERSION &&
  typeof (x as ModuleReport).to === 'string' &&
  typeof (x as ModuleReport).module === 'string' &&
  typeof (x as ModuleReport).instance === 'string' &&
  ((x as ModuleReport).role === 'host' || (x as ModuleReport).role === 'replica') &&
  Array.isArray((x as ModuleReport).actions);

/** FNV-1a over the canonical JSON (keys sorted), as 8 hex digits: cheap, and only computed when asked. */
export function hashState(state: unknown): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object') {
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  const text = canonical(state);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
