import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  crossOriginOpenerPolicy,
  crossOriginResourcePolicy,
  originAgentCluster,
  referrerPolicy,
  strictTransportSecurity,
  xContentTypeOptions,
  xDnsPrefetchControl,
  xDownloadOptions,
  xFrameOptions,
  xPermittedCrossDomainPolicies,
} from 'helmet';
import type { CrossOriginResourcePolicy, FrameOptions } from './presets.js';

type HelmetMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
export type HeaderPair = readonly [name: string, value: string];

/**
 * Runs a helmet middleware once, at start-up, against a recording response: helmet validates the options and
 * computes the value, and we set the recorded headers per request without calling it again.
 */
function record(middleware: HelmetMiddleware): HeaderPair[] {
  const headers: HeaderPair[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)]);
      return recorder;
    },
    removeHeader() {},
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

export const helmetValues = {
  frameOptions: (action: FrameOptions) =>
    record(xFrameOptions({ action: action === 'DENY' ? 'deny' : 'sameorigin' })),
  noSniff: () => record(xContentTypeOptions()),
  referrerPolicy: (policy: string) =>
    record(referrerPolicy({ policy: policy.split(',').map((p) => p.trim()) as never })),
  hsts: (maxAge: number, includeSubDomains: boolean, preload: boolean) =>
    record(strictTransportSecurity({ maxAge, includeSubDomains, preload })),
  crossOriginResourcePolicy: (policy: CrossOriginResourcePolicy) =>
    record(crossOriginResourcePolicy({ policy })),
  // CORP is left out: it is an option of its own (`crossOriginResourcePolicy`).
  extras: () => [
    ...record(crossOriginOpenerPolicy()),
    ...record(originAgentCluster()),
    ...record(xDnsPrefetchControl()),
    ...record(xDownloadOptions()),
    ...record(xPermittedCrossDomainPolicies()),
  ],
};
