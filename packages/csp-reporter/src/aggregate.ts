import type { ScoredMember, Store } from '@shieldwall/core';
import { blockedOrigin } from './sanitise.js';
import type { CspAggregate, CspReport, NamedCount, ViolationCount } from './types.js';

// Keys inside the reporter's prefixed store. Each is a scored set; members are bounded strings.
const keys = {
  version: 'agg:version',
  directive: 'agg:directive',
  origin: 'agg:origin',
  violation: 'agg:violation',
  dropped: 'agg:dropped-version',
  filtered: 'agg:filtered',
} as const;

const separator = ' ';

const named = (members: ScoredMember[]): NamedCount[] =>
  members.map(({ member, score }) => ({ name: member, count: score }));

export interface Aggregator {
  record(report: Readonly<CspReport>): Promise<void>;
  dropVersion(version: number | undefined): Promise<void>;
  filtered(name: string): Promise<void>;
  top(limit: number): Promise<ViolationCount[]>;
  read(limit: number): Promise<CspAggregate>;
}

/** Counts in the store, each set living `ttlMs` after its last update. */
export function aggregator(store: Store, ttlMs: number, enabled: boolean): Aggregator {
  const top = async (limit: number): Promise<ViolationCount[]> =>
    (await store.topMembers(keys.violation, limit)).map(({ member, score }) => {
      const at = member.indexOf(separator);
      return { directive: member.slice(0, at), blockedOrigin: member.slice(at + 1), count: score };
    });
  return {
    async record(report) {
      if (!enabled) return;
      const directive = report.effectiveDirective || '(unknown)';
      const origin = blockedOrigin(report.blockedUrl);
      await Promise.all([
        store.incrementMember(keys.version, String(report.policyVersion ?? 'unversioned'), 1, ttlMs),
        store.incrementMember(keys.directive, directive, 1, ttlMs),
        store.incrementMember(keys.origin, origin, 1, ttlMs),
        store.incrementMember(keys.violation, `${directive}${separator}${origin}`, 1, ttlMs),
      ]);
    },
    async dropVersion(version) {
      await store.incrementMember(keys.dropped, String(version ?? 'unversioned'), 1, ttlMs);
    },
    async filtered(name) {
      await store.incrementMember(keys.filtered, name, 1, ttlMs);
    },
    top,
    async read(limit) {
      const [byVersion, byDirective, byBlockedOrigin, topViolations, dropped, filtered] = await Promise.all([
        store.topMembers(keys.version, limit),
        store.topMembers(keys.directive, limit),
        store.topMembers(keys.origin, limit),
        top(limit),
        store.topMembers(keys.dropped, limit),
        store.topMembers(keys.filtered, limit),
      ]);
      return {
        byVersion: named(byVersion),
        byDirective: named(byDirective),
        byBlockedOrigin: named(byBlockedOrigin),
        topViolations,
        droppedByVersion: named(dropped),
        filtered: named(filtered),
      };
    },
  };
}
