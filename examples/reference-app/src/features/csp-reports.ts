import type { RequestHandler } from 'express';
import { cspReporter, type CspReporter } from '@shieldwall/csp-reporter';
import type { Guards } from '../guards.js';
import type { Services } from '../services.js';
import type { Feature } from './feature.js';

// One reporter per app: the headers feature reads its `reporting` descriptor (report-uri path, version, report-to
// group, Reporting-Endpoints URL) and this feature mounts it, so the two cannot drift apart.
const reporters = new WeakMap<Services, CspReporter>();

/** The app's CSP reporter, created on first use from the configuration (CSP_VERSION, PUBLIC_ORIGIN). */
export function cspReporterFor(services: Services, guards: Guards): CspReporter {
  const existing = reporters.get(services);
  if (existing) return existing;
  // The rate-limit feature replaces guards.limit after the headers feature has run, so the limiter is looked up
  // once, at the first report, when every feature is mounted.
  let limit: RequestHandler | undefined;
  const limiter: RequestHandler = (req, res, next) => (limit ??= guards.limit('cspReports'))(req, res, next);
  const reporter = cspReporter({
    version: services.config.cspVersion,
    publicOrigin: services.config.publicOrigin,
    store: services.store,
    clock: services.clock,
    limiter,
    logger: services.logger,
  });
  reporters.set(services, reporter);
  return reporter;
}

/**
 * `POST /api/csp-report-endpoint?version=N`: both report formats, 204; older versions counted and dropped; each
 * accepted report logged as one JSON line; per-IP limit from the rate-limit feature.
 */
export const mountCspReports: Feature = async (app, services, guards) => {
  app.use(cspReporterFor(services, guards));
};
