import { checkOptionNames, configError, nearestName, type OptionNames } from '@shieldwall/core';
import { checkSourceList, checkTokens, packageName } from './sources.js';

/** Source lists, one per fetch/navigation directive. Keywords are quoted: `"'self'"`, `"'none'"`. */
export interface CspDirectives {
  defaultSrc?: readonly string[] | null;
  scriptSrc?: readonly string[] | null;
  scriptSrcElem?: readonly string[] | null;
  scriptSrcAttr?: readonly string[] | null;
  styleSrc?: readonly string[] | null;
  styleSrcElem?: readonly string[] | null;
  styleSrcAttr?: readonly string[] | null;
  imgSrc?: readonly string[] | null;
  fontSrc?: readonly string[] | null;
  connectSrc?: readonly string[] | null;
  mediaSrc?: readonly string[] | null;
  objectSrc?: readonly string[] | null;
  frameSrc?: readonly string[] | null;
  childSrc?: readonly string[] | null;
  workerSrc?: readonly string[] | null;
  manifestSrc?: readonly string[] | null;
  formAction?: readonly string[] | null;
  frameAncestors?: readonly string[] | null;
  baseUri?: readonly string[] | null;
  /** Sandbox flags such as `allow-scripts`; an empty array sandboxes fully. */
  sandbox?: readonly string[] | null;
  upgradeInsecureRequests?: boolean | null;
  requireTrustedTypesFor?: readonly "'script'"[] | null;
  trustedTypes?: readonly string[] | null;
}

export interface CspOptions {
  /** Directives, merged over the preset's (a `null` removes one). */
  directives?: CspDirectives;
  /** Start from the preset's directives. Defaults to `true`; `false` uses only `directives`. */
  useDefaults?: boolean;
  /** Add a fresh per-request nonce to `script-src` (and `script-src-elem`). Defaults to `true`. */
  nonce?: boolean;
  /** Also add the nonce to `style-src` (and `style-src-elem`). Defaults to `false`. */
  nonceStyles?: boolean;
}

export type DirectiveName = keyof CspDirectives;

const cspOptionNames: OptionNames<CspOptions> = {
  directives: true,
  useDefaults: true,
  nonce: true,
  nonceStyles: true,
};
type Checked = Map<string, string[] | true>;

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const known = new Set<string>([
  'defaultSrc', 'scriptSrc', 'scriptSrcElem', 'scriptSrcAttr', 'styleSrc', 'styleSrcElem', 'styleSrcAttr',
  'imgSrc', 'fontSrc', 'connectSrc', 'mediaSrc', 'objectSrc', 'frameSrc', 'childSrc', 'workerSrc', 'manifestSrc',
  'formAction', 'frameAncestors', 'baseUri', 'sandbox', 'upgradeInsecureRequests', 'requireTrustedTypesFor',
  'trustedTypes',
]); // prettier-ignore

function checkDirective(name: string, value: unknown): string[] | true | undefined {
  if (value === null || value === undefined || value === false) return undefined;
  if (name === 'upgradeInsecureRequests') {
    if (value !== true)
      throw configError(packageName, `csp.directives.${name}`, value, 'pass true, false or null.');
    return true;
  }
  if (name === 'sandbox')
    return checkTokens(name, value, /^allow-[a-z-]{1,40}$/, 'pass flags such as "allow-scripts".');
  if (name === 'requireTrustedTypesFor') return checkTokens(name, value, /^'script'$/, `pass ["'script'"].`);
  if (name === 'trustedTypes') {
    return checkTokens(
      name,
      value,
      /^(?:[A-Za-z0-9\-#=_/@.%]{1,64}|\*|'none'|'allow-duplicates')$/,
      'pass policy names.',
    );
  }
  return checkSourceList(name, value);
}

/** Validates and merges directives; report directives come only from `reporting`, never from here. */
export function checkDirectives(
  defaults: CspDirectives,
  options: Readonly<CspOptions>,
  name = 'csp',
): Checked {
  checkOptionNames(packageName, `securityHeaders({ ${name} })`, options, cspOptionNames);
  const merged: Record<string, unknown> = options.useDefaults === false ? {} : { ...defaults };
  for (const [directive, value] of Object.entries(options.directives ?? {})) {
    if (!known.has(directive)) {
      const nearest = nearestName(directive, [...known]);
      const fix = /report/i.test(directive)
        ? 'reports are configured with `reporting` (from @shieldwall/csp-reporter), so path and version cannot drift.'
        : nearest
          ? `did you mean \`${nearest}\`? Directive names are camelCase.`
          : `use one of ${[...known].join(', ')}.`;
      throw configError(packageName, `${name}.directives.${directive}`, value, fix);
    }
    merged[directive] = value;
  }
  const checked: Checked = new Map();
  for (const [name, value] of Object.entries(merged)) {
    const result = checkDirective(name, value);
    if (result !== undefined) checked.set(kebab(name), result);
  }
  return checked;
}

export const noncePlaceholder = '\u0000nonce\u0000';

/** Puts the nonce placeholder into the script (and style) directives, creating script-src from default-src. */
export function addNonce(directives: Checked, styles: boolean): void {
  const add = (name: string, fallback: string): void => {
    const existing = directives.get(name) ?? directives.get(fallback) ?? directives.get('default-src');
    const sources = Array.isArray(existing) ? existing.filter((s) => s !== "'none'") : ["'self'"];
    directives.set(name, [...sources, noncePlaceholder]);
  };
  add('script-src', 'script-src');
  if (directives.has('script-src-elem')) add('script-src-elem', 'script-src-elem');
  if (styles) {
    add('style-src', 'style-src');
    if (directives.has('style-src-elem')) add('style-src-elem', 'style-src-elem');
  }
}

/** A policy compiled once: a static string, or parts to join around the per-request nonce. */
export interface CompiledPolicy {
  usesNonce: boolean;
  render(nonce: string): string;
}

export function compile(directives: Checked, tail: readonly string[]): CompiledPolicy {
  const text = [
    ...[...directives].map(([name, value]) =>
      value === true || value.length === 0 ? name : `${name} ${value.join(' ')}`,
    ),
    ...tail,
  ].join('; ');
  const parts = text.split(noncePlaceholder);
  if (parts.length === 1) return { usesNonce: false, render: () => text };
  return { usesNonce: true, render: (nonce) => parts.join(`'nonce-${nonce}'`) };
}
