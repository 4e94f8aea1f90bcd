import type { CspReport, ReportFilter } from './types.js';

// Schemes of browser extensions and browser internals: violations from them say nothing about the site's policy.
const extensionSchemes = [
  'chrome-extension:',
  'moz-extension:',
  'safari-extension:',
  'safari-web-extension:',
  'ms-browser-extension:',
  'chrome:',
  'resource:',
  'webviewprogressproxy:',
  'mbinit:',
  'symres:',
  'mxaddon-pkg:',
  'jar:',
];

/**
 * Hosts known to inject scripts into pages they do not own (adware, antivirus and proxy injectors, toolbars).
 * A starting list in the spirit of the CSP noise filters error trackers ship; extend it with `filters`.
 */
export const knownInjectedHosts: readonly string[] = Object.freeze([
  'gc.kis.v2.scr.kaspersky-labs.com',
  'kaspersky-labs.com',
  'injections.adguard.com',
  'superfish.com',
  'tlscdn.com',
  'metrext.com',
  'static.image2play.com',
  'gateway.zscalertwo.net',
  'resultshub-a.akamaihd.net',
  'savingsslider-a.akamaihd.net',
  'cdncache-a.akamaihd.net',
  'pulseadnetwork.com',
]);

function startsWithAny(value: string, prefixes: readonly string[]): boolean {
  const lower = value.toLowerCase();
  return prefixes.some((prefix) => lower.startsWith(prefix));
}

function hostOf(url: string): string | undefined {
  if (!/^(https?|wss?):\/\//i.test(url)) return undefined;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Drops reports whose blocked URL or source file is a browser extension or browser-internal resource. */
export const extensionFilter: ReportFilter = Object.freeze({
  name: 'extension',
  matches: (report: Readonly<CspReport>) =>
    startsWithAny(report.blockedUrl, extensionSchemes) || startsWithAny(report.sourceFile, extensionSchemes),
});

/** Drops reports about `about:` documents or resources (`about:blank` frames, browser pages). */
export const aboutFilter: ReportFilter = Object.freeze({
  name: 'about',
  matches: (report: Readonly<CspReport>) =>
    report.blockedUrl.toLowerCase() === 'about' ||
    startsWithAny(report.blockedUrl, ['about:']) ||
    startsWithAny(report.documentUrl, ['about:']),
});

/** Drops reports about `data:` resources. Off by default: a `data:` script can be a real injection. */
export const dataFilter: ReportFilter = Object.freeze({
  name: 'data',
  // Browsers report `data:` resources as `data` (the scheme alone) or with the URL.
  matches: (report: Readonly<CspReport>) =>
    report.blockedUrl.toLowerCase() === 'data' || startsWithAny(report.blockedUrl, ['data:']),
});

/** A filter that drops reports whose blocked URL or source file is on one of `hosts` or a subdomain of it. */
export function hostFilter(name: string, hosts: readonly string[]): ReportFilter {
  const list = hosts.map((host) => host.toLowerCase().replace(/^\*\./, ''));
  const onList = (url: string): boolean => {
    const host = hostOf(url);
    return host !== undefined && list.some((entry) => host === entry || host.endsWith(`.${entry}`));
  };
  return Object.freeze({
    name,
    matches: (report: Readonly<CspReport>) => onList(report.blockedUrl) || onList(report.sourceFile),
  });
}

/** Drops reports caused by scripts from known injector hosts. */
export const injectedSourceFilter: ReportFilter = hostFilter('injected', knownInjectedHosts);
