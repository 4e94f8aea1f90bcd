// `pnpm bench:budgets`: DESIGN.md's performance budgets, each as its ratio from one `pnpm bench` run, repeated
// BENCH_RUNS times (default 10), since one run says little on a machine whose speed swings within the hour. Every
// ratio compares two scenarios of the same run. Prints one row per budget: the range over the runs, and in how
// many runs it was met; writes the table to bench/results/budgets.md and each run's rows to budgets-runs.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Row {
  name: string;
  rate: number;
  pacedP99DelayMs?: number;
  p99LatencyMs?: number;
  storm?: { idleP99LatencyMs: number; idleRate: number };
}

interface Budget {
  name: string;
  /** The figure this budget reads from one run's rows (undefined: a scenario is missing). */
  value(rows: Map<string, Row>): number | undefined;
  met(value: number): boolean;
  unit: string;
  /** How many of the runs must meet it (DESIGN.md: nine of ten for the channel, every run otherwise). */
  required(runs: number): number;
  /** Not a budget: what a floor scenario reaches, the most the budget above it could ever measure here. */
  ceiling?: true;
}

const ratio = (a: string, b: string) => (rows: Map<string, Row>) => {
  const top = rows.get(a)?.rate;
  const bottom = rows.get(b)?.rate;
  return top !== undefined && bottom ? top / bottom : undefined;
};
const every = (runs: number) => runs;
// The login storm's paced route runs at 100/s; "never starved" reads as answering at least 95 of them.
const stormPacedRate = 100;

export const budgets: Budget[] = [
  {
    name: 'full stack / floor-all-four ≥ 0.85',
    value: ratio('shieldwall-stack', 'floor-all-four'),
    met: (v) => v >= 0.85,
    unit: '',
    required: every,
  },
  {
    name: 'full stack / peer stack (KeyObject) ≥ 1.20',
    value: ratio('shieldwall-stack', 'peer-stack-keyobject'),
    met: (v) => v >= 1.2,
    unit: '',
    required: every,
  },
  {
    name: 'encrypted 1 KB / plaintext 1 KB (full stack) ≥ 0.85, nine runs of ten',
    value: ratio('channel-encrypted-1kb', 'channel-plaintext-1kb'),
    met: (v) => v >= 0.85,
    unit: '',
    required: (runs) => Math.ceil(runs * 0.9),
  },
  {
    name: 'ceiling: floor-channel-encrypted-1kb / plaintext 1 KB (the least channel; 0.85 is reachable only if this is)',
    value: ratio('floor-channel-encrypted-1kb', 'channel-plaintext-1kb'),
    met: (v) => v >= 0.85,
    unit: '',
    required: (runs) => Math.ceil(runs * 0.9),
    ceiling: true,
  },
  {
    name: 'Redis rate limit / memory ≥ 0.80',
    value: ratio('rate-limit-redis', 'rate-limit-memory'),
    met: (v) => v >= 0.8,
    unit: '',
    required: every,
  },
  {
    name: 'session keys ≥ 1,300/s',
    value: (rows) => rows.get('key-exchange-session-key')?.rate,
    met: (v) => v >= 1300,
    unit: '/s',
    required: every,
  },
  {
    name: 'session keys / bare RSA-OAEP privateDecrypt ≥ 0.90',
    value: ratio('key-exchange-session-key', 'key-exchange-rsa-oaep-decrypt'),
    met: (v) => v >= 0.9,
    unit: '',
    required: every,
  },
  {
    name: 'ceiling: floor-handshake / bare privateDecrypt (the least handshake; 0.90 is reachable only if this is)',
    value: ratio('floor-handshake', 'key-exchange-rsa-oaep-decrypt'),
    met: (v) => v >= 0.9,
    unit: '',
    required: every,
    ceiling: true,
  },
  {
    name: "paced p99 loop delay: worst scenario minus bare Express's ≤ 0.5 ms",
    value: (rows) => {
      const bare = rows.get('bare-express')?.pacedP99DelayMs;
      if (bare === undefined) return undefined;
      // The login storm's delay is measured during the storm, not paced alone: it has budgets of its own.
      const others = [...rows.values()].flatMap((row) =>
        row.pacedP99DelayMs === undefined || row.storm ? [] : [row.pacedP99DelayMs],
      );
      return Math.max(...others) - bare;
    },
    met: (v) => v <= 0.5,
    unit: ' ms',
    required: every,
  },
  {
    name: 'login storm: cheap route p99 in the storm / idle ≤ 2',
    value: (rows) => {
      const storm = rows.get('login-storm');
      return storm?.storm && storm.p99LatencyMs !== undefined && storm.storm.idleP99LatencyMs > 0
        ? storm.p99LatencyMs / storm.storm.idleP99LatencyMs
        : undefined;
    },
    met: (v) => v <= 2,
    unit: 'x',
    required: every,
  },
  {
    name: `login storm: cheap route answered (of ${stormPacedRate}/s) ≥ 95`,
    value: (rows) => rows.get('login-storm')?.rate,
    met: (v) => v >= 95,
    unit: '/s',
    required: every,
  },
];

// Every scenario a budget reads, as filters for run.ts (bare Express always runs).
const filters = [
  'full-stack',
  'channel-plaintext-1kb',
  'channel-encrypted-1kb',
  'rate-limit-',
  'key-exchange-session-key',
  'key-exchange-rsa-oaep-decrypt',
  'floor-channel',
  'floor-handshake',
  'login-storm',
];

const digits = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2));

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 10);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('BENCH_RUNS must be a whole number of at least 1');
  const results = join(import.meta.dirname, 'results');
  const all: Row[][] = [];
  for (let run = 1; run <= runs; run++) {
    process.stderr.write(`bench:budgets: run ${run} of ${runs}\n`);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'run.ts'), ...filters],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    // A run with errors measured something else: it is left out and said so, not averaged in.
    if (child.status !== 0) {
      process.stderr.write(`bench:budgets: run ${run} failed (exit ${child.status}); left out\n`);
      continue;
    }
    all.push(JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8')) as Row[]);
  }
  const lines = [`| budget | range over ${all.length} runs | met in | verdict |`, '|---|---:|---:|---|'];
  for (const budget of budgets) {
    const values = all.flatMap((rows) => {
      const value = budget.value(new Map(rows.map((row) => [row.name, row])));
      return value === undefined || !Number.isFinite(value) ? [] : [value];
    });
    const met = values.filter((value) => budget.met(value)).length;
    const range =
      values.length === 0
        ? 'not measured'
        : `${digits(Math.min(...values))}–${digits(Math.max(...values))}${budget.unit}`;
    const verdict =
      values.length === 0
        ? '-'
        : budget.ceiling
          ? 'ceiling'
          : met >= budget.required(all.length)
            ? 'met'
            : 'missed';
    lines.push(`| ${budget.name} | ${range} | ${met} of ${values.length} | ${verdict} |`);
  }
  const bare = all.map((rows) => rows.find((row) => row.name === 'bare-express')?.rate ?? 0);
  const table = [
    `Node ${process.version}, ${process.env.BENCH_SECONDS ?? 5} s per scenario; bare Express ${Math.round(
      Math.min(...bare),
    ).toLocaleString('en')}–${Math.round(Math.max(...bare)).toLocaleString('en')} req/s over the runs`,
    '',
    ...lines,
  ].join('\n');
  console.log(table);
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'budgets.md'), table + '\n');
  writeFileSync(join(results, 'budgets-runs.json'), JSON.stringify(all, null, 2));
  if (all.length === 0) process.exitCode = 1;
}

main();
