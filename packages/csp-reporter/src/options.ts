import type { RequestHandler } from 'express';
import type { Clock, Logger, OptionNames, Store } from '@shieldwall/core';
import type { CspReport, ReportFilter } from './types.js';

export interface CspReporterOptions {
  /** The endpoint's path. Defaults to `/api/csp-report-endpoint`. */
  path?: string;
  /** The current policy version, sent as `?version=N` by @shieldwall/headers. Defaults to `1`. */
  version?: number;
  /**
   * Reports from a lower version (or none) are counted per version and dropped: raise it after changing the
   * policy so copies still cached by a CDN stop adding noise. Defaults to `version`.
   */
  minVersion?: number;
  /** The Reporting API group for `report-to` and `Reporting-Endpoints`. Defaults to `csp-endpoint`. */
  group?: string;
  /** The site's public origin (`https://app.example.com`), for the absolute `Reporting-Endpoints` URL. Defaults to none. */
  publicOrigin?: string;
  /** The body size cap in bytes; larger bodies get 413. Defaults to `65536` (64 KB). */
  maxBytes?: number;
  /** At most this many reports are read from one Reporting API batch. Defaults to `20`. */
  maxReportsPerRequest?: number;
  /** Cap on URL fields (document, blocked, source file). Defaults to `1024`. */
  maxUrlLength?: number;
  /** Cap on the code sample. Defaults to `160`. */
  maxSampleLength?: number;
  /** Keep query strings and fragments of URLs (they may carry tokens). Defaults to `false`. */
  keepQueryStrings?: boolean;
  /** Any limiter middleware, run before the body is read (e.g. a per-IP limit). Defaults to none. */
  limiter?: RequestHandler;
  /** Where dedupe keys and the aggregate live; keys are prefixed `csp:`. Defaults to a bounded `memoryStore()`. */
  store?: Store;
  /** Identical reports from one client within this window are kept once; `0` turns dedupe off. Defaults to `60000`. */
  dedupeWindowMs?: number;
  /** The share of accepted reports kept (0 to 1), for very busy sites. Defaults to `1`. */
  sampleRate?: number;
  /** Random numbers in [0, 1) for sampling; injectable for tests. Defaults to `Math.random`. */
  random?: () => number;
  /** Apply the built-in noise filters (extensions, `about:`, known injectors). Defaults to `true`. */
  defaultFilters?: boolean;
  /** Also drop reports about `data:` resources. Defaults to `false` (a `data:` script may be a real attack). */
  ignoreDataUris?: boolean;
  /** Your own filters, applied after the built-in ones. Defaults to none. */
  filters?: readonly ReportFilter[];
  /** Called with each accepted report; awaited, and a rejection goes to `next(err)`. Defaults to none. */
  onReport?: (report: Readonly<CspReport>) => void | Promise<void>;
  /** Logs each accepted report as `info('csp_violation', report)`. Defaults to none. */
  logger?: Logger;
  /** Keep counts by version, directive and blocked origin in the store. Defaults to `true`. */
  aggregate?: boolean;
  /** How long aggregate counts live after their last update, in ms. Defaults to 7 days. */
  aggregateTtlMs?: number;
  /** Time source for `receivedAt`. Defaults to the system clock. */
  clock?: Clock;
}

export const optionNames: OptionNames<CspReporterOptions> = {
  path: true,
  version: true,
  minVersion: true,
  group: true,
  publicOrigin: true,
  maxBytes: true,
  maxReportsPerRequest: true,
  maxUrlLength: true,
  maxSampleLength: true,
  keepQueryStrings: true,
  limiter: true,
  store: true,
  dedupeWindowMs: true,
  sampleRate: true,
  random: true,
  defaultFilters: true,
  ignoreDataUris: true,
  filters: true,
  onReport: true,
  logger: true,
  aggregate: true,
  aggregateTtlMs: true,
  clock: true,
};
