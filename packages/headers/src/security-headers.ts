import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { checkOptionNames, configError, oneOf } from '@shieldwall/core';
import { addNonce, checkDirectives, compile, type CompiledPolicy, type CspOptions } from './csp.js';
import { helmetValues, type HeaderPair } from './helmet-values.js';
import { checkHsts } from './hsts.js';
import { createNonce } from './nonce.js';
import {
  helmetHintNote,
  helmetOptionHints,
  securityHeadersOptionNames,
  type SecurityHeadersOptions,
} from './options.js';
import { permissionsPolicyValue } from './permissions-policy.js';
import { presets, type FrameOptions, type Preset } from './presets.js';
import { packageName } from './sources.js';
import { reportingParts } from './reporting.js';

const pick = <K extends keyof Preset>(options: Readonly<SecurityHeadersOptions>, preset: Preset, key: K) =>
  (key in options && options[key as keyof SecurityHeadersOptions] !== undefined
    ? options[key as keyof SecurityHeadersOptions]
    : preset[key]) as Preset[K] | CspOptions;

function isSecure(req: IncomingMessage): boolean {
  const secure = (req as { secure?: unknown }).secure;
  return typeof secure === 'boolean' ? secure : (req.socket as TLSSocket | undefined)?.encrypted === true;
}

function frameAncestorsFor(frameOptions: FrameOptions): string[] {
  return frameOptions === 'DENY' ? ["'none'"] : ["'self'"];
}

function buildPolicy(
  name: string,
  csp: Readonly<CspOptions>,
  defaults: Preset['csp'],
  frameOptions: FrameOptions | false,
  tail: readonly string[],
): CompiledPolicy {
  const directives = checkDirectives(defaults || {}, csp, name);
  if (frameOptions !== false) {
    const wanted = frameAncestorsFor(frameOptions);
    const given = directives.get('frame-ancestors');
    if (given === undefined) directives.set('frame-ancestors', wanted);
    else if (JSON.stringify(given) !== JSON.stringify(wanted)) {
      throw configError(
        packageName,
        `${name}.directives.frameAncestors`,
        given,
        `it must match frameOptions "${frameOptions}" (${wanted.join(' ')}); drop it, it follows frameOptions.`,
      );
    }
  }
  if (csp.nonce !== false) addNonce(directives, csp.nonceStyles === true);
  return compile(directives, tail);
}

/**
 * Security headers over helmet, from a preset plus overrides. Everything static is computed here, once; a request
 * costs a loop over prepared headers, and a nonce when a policy uses one (`res.locals.cspNonce`).
 */
export function securityHeaders(options: Readonly<SecurityHeadersOptions> = {}): RequestHandler {
  checkOptionNames(packageName, 'securityHeaders()', options, securityHeadersOptionNames, {
    hints: helmetOptionHints,
    hintNote: helmetHintNote,
  });
  const presetName = oneOf(
    packageName,
    'preset',
    options.preset,
    ['recommended', 'platform', 'api'],
    'recommended',
  );
  const preset = presets[presetName];

  const frameOptions = pick(options, preset, 'frameOptions') as FrameOptions | false;
  if (frameOptions !== false)
    oneOf(packageName, 'frameOptions', frameOptions, ['DENY', 'SAMEORIGIN'], 'DENY');
  const xss = pick(options, preset, 'xssProtection');
  if (xss !== false) oneOf(packageName, 'xssProtection', xss, ['0', '1; mode=block'], '0');
  const referrer = pick(options, preset, 'referrerPolicy') as string | false;

  const headers: HeaderPair[] = [];
  if (pick(options, preset, 'noSniff') !== false) headers.push(...helmetValues.noSniff());
  if (frameOptions !== false) headers.push(...helmetValues.frameOptions(frameOptions));
  if (xss !== false) headers.push(['X-XSS-Protection', xss as string]);
  if (referrer !== false) {
    try {
      headers.push(...helmetValues.referrerPolicy(referrer));
    } catch (error) {
      throw configError(packageName, 'referrerPolicy', referrer, (error as Error).message);
    }
  }
  const permissions = pick(options, preset, 'permissionsPolicy');
  if (permissions) headers.push(['Permissions-Policy', permissionsPolicyValue(permissions as never)]);
  const corp = pick(options, preset, 'crossOriginResourcePolicy');
  if (corp !== false) {
    const policies = ['same-origin', 'same-site', 'cross-origin'] as const;
    const checked = oneOf(packageName, 'crossOriginResourcePolicy', corp, policies, 'same-origin');
    headers.push(...helmetValues.crossOriginResourcePolicy(checked));
  }
  if (pick(options, preset, 'extras') === true) headers.push(...helmetValues.extras());

  const hstsOptions = pick(options, preset, 'hsts');
  const hsts = hstsOptions === false ? undefined : checkHsts(hstsOptions as never);
  const hstsValue = hsts && helmetValues.hsts(hsts.maxAge, hsts.includeSubDomains, hsts.preload)[0]![1];

  const reporting = reportingParts(options.reporting, options.publicOrigin);
  if (reporting.endpointsHeader) headers.push(['Reporting-Endpoints', reporting.endpointsHeader]);
  const cspOption = options.csp === undefined ? (preset.csp === false ? false : {}) : options.csp;
  if (cspOption !== false && preset.cspNeedsReporting && !options.reporting) {
    throw configError(
      packageName,
      'reporting',
      undefined,
      `the "${presetName}" preset's CSP reports to a versioned endpoint: pass reporting: reporter.reporting from @shieldwall/csp-reporter, or csp: false.`,
    );
  }
  const enforced =
    cspOption === false ? undefined : buildPolicy('csp', cspOption, preset.csp, frameOptions, reporting.tail);
  const reportOnly =
    options.cspReportOnly === undefined || options.cspReportOnly === false
      ? undefined
      : buildPolicy('cspReportOnly', options.cspReportOnly, preset.csp, false, reporting.tail);
  const needsNonce = enforced?.usesNonce === true || reportOnly?.usesNonce === true;
  const staticHeaders = Object.freeze(headers.slice());
  const hidePoweredBy = options.hidePoweredBy !== false;

  return function securityHeadersMiddleware(req: Request, res: Response, next: NextFunction): void {
    const out = res as ServerResponse;
    for (const [name, value] of staticHeaders) out.setHeader(name, value);
    if (hidePoweredBy) out.removeHeader('X-Powered-By');
    if (hstsValue !== undefined && isSecure(req)) out.setHeader('Strict-Transport-Security', hstsValue);
    if (enforced || reportOnly) {
      const nonce = needsNonce ? createNonce() : '';
      if (needsNonce) {
        const withLocals = res as { locals?: Record<string, unknown> };
        (withLocals.locals ??= {}).cspNonce = nonce;
      }
      if (enforced) out.setHeader('Content-Security-Policy', enforced.render(nonce));
      if (reportOnly) out.setHeader('Content-Security-Policy-Report-Only', reportOnly.render(nonce));
    }
    next();
  };
}
