import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from './workload.js';

/** Every `code` the error-code reference lists (its tables' second column). */
export function documentedCodes(): Set<string> {
  const text = readFileSync(join(__dirname, '..', '..', 'docs', 'error-codes.md'), 'utf8');
  // Table rows (`| 503 | \`store_unavailable\` |`) and the codes named in prose (`401 \`invalid_credentials\``).
  return new Set([...text.matchAll(/\b\d{3}\s*(?:\|\s*)?`([a-z0-9_]+)`/g)].map((match) => match[1]!));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface PhaseFigures {
  phase: string;
  requests: number;
  ok: number;
  refusals: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

export function figures(samples: readonly Sample[], phases: readonly string[]): PhaseFigures[] {
  return phases.map((phase) => {
    const mine = samples.filter((sample) => sample.phase === phase);
    const ms = mine.map((sample) => sample.ms).sort((a, b) => a - b);
    const refusals: Record<string, number> = {};
    for (const sample of mine.filter((s) => s.status === 0 || s.status >= 400)) {
      const key = `${sample.op} ${sample.status} ${sample.code ?? ''}`.trim();
      refusals[key] = (refusals[key] ?? 0) + 1;
    }
    return {
      phase,
      requests: mine.length,
      ok: mine.filter((sample) => sample.status >= 200 && sample.status < 400).length,
      refusals,
      p50: Math.round(percentile(ms, 50)),
      p99: Math.round(percentile(ms, 99)),
      max: Math.round(ms[ms.length - 1] ?? 0),
    };
  });
}

/** A fixed-width table, one row per phase. */
export function table(rows: readonly PhaseFigures[]): string {
  const header = [
    'phase',
    'requests',
    '2xx/3xx',
    'p50 ms',
    'p99 ms',
    'max ms',
    'refusals (request status code: count)',
  ];
  const lines = rows.map((row) => [
    row.phase,
    String(row.requests),
    String(row.ok),
    String(row.p50),
    String(row.p99),
    String(row.max),
    Object.entries(row.refusals)
      .sort(([, a], [, b]) => b - a)
      .map(([code, count]) => `${code}: ${count}`)
      .join(', ') || '-',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
}
