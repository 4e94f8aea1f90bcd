// `pnpm bench [filter...]`: every scenario in bench/scenarios, or those whose name or group contains a filter.
// HTTP scenarios: each app in its own process, driven by autocannon from this one; ratios against the group's
// baseline and against bare Express from the same run. Ops scenarios: operations per second in this process.
// BENCH_SECONDS (default 5) sets the measured duration; a 1 s warm-up precedes every measurement. Each HTTP
// scenario then runs BENCH_PACED_SECONDS (default 3) on one connection at a tenth of its rate (loop delay, paced).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadAll } from './load.js';
import type { BenchRequest, HttpScenario, OpsScenario } from './types.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const pacedSeconds = Number(process.env.BENCH_PACED_SECONDS ?? 3);

interface Row {
  name: string;
  group: string;
  kind: 'http' | 'ops';
  rate: number;
  errors: number;
  non2xx: number;
  maxDelayMs?: number;
  pacedMaxDelayMs?: number;
  pacedP99DelayMs?: number;
  p99LatencyMs?: number;
  baseline?: boolean;
  storm?: { idleP99LatencyMs: number; idleRate: number; stormRate: number; stormNon2xx: number };
}

// A storm scenario's paced route runs at this rate, alone and during the storm.
const stormPacedRate = 100;

async function startServer(file: string, name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(import.meta.dirname, 'server.ts'), [file, name], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : []),
    ],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /READY (\d+)/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
  });
  return { child, port };
}

function ask(
  child: ChildProcess,
  message: string,
): Promise<{ maxDelayMs: number; p99DelayMs: number } | undefined> {
  child.send(message);
  if (message !== 'stats') return Promise.resolve(undefined);
  return new Promise((resolve) =>
    child.once('message', (m) => resolve(m as { maxDelayMs: number; p99DelayMs: number })),
  );
}

function load(
  url: string,
  request: BenchRequest | (() => BenchRequest),
  duration: number,
  paced?: { rate: number },
): Promise<autocannon.Result> {
  const base = typeof request === 'function' ? request() : request;
  const options: autocannon.Options = {
    url,
    // Paced: one connection, so requests arrive one at a time rather than in bursts of `connections`.
    connections: paced ? 1 : connections,
    duration,
    ...(paced ? { overallRate: paced.rate } : {}),
    method: base.method,
    ...(typeof request === 'function'
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                const next = request();
                return {
                  ...req,
                  method: next.method,
                  path: next.path,
                  headers: next.headers ?? {},
                  body: next.body,
                };
              },
            },
          ],
        }
      : { path: base.path, headers: base.headers ?? {}, ...(base.body ? { body: base.body } : {}) }),
  };
  if (typeof request !== 'function') options.url = url + base.path;
  return autocannon(options);
}

async function runStorm(
  baseUrl: string,
  scenario: HttpScenario & { storm: NonNullable<HttpScenario['storm']> },
  child: ChildProcess,
): Promise<Row> {
  const request = await scenario.prepare(baseUrl);
  const stormRequest = await scenario.storm.prepare(baseUrl);
  const paced = { rate: stormPacedRate };
  await load(baseUrl, request, 1, paced);
  const idle = await load(baseUrl, request, seconds, paced);
  await ask(child, 'reset');
  // The storm starts first and outlasts the paced pass, so every paced request meets a full pool.
  const storm = autocannon({
    url: baseUrl + stormRequest.path,
    connections: scenario.storm.connections,
    duration: seconds + 2,
    // A sign-in waits behind the others for a worker: seconds on a loaded machine, which is not an error here.
    timeout: 60,
    method: stormRequest.method,
    headers: stormRequest.headers ?? {},
    ...(stormRequest.body ? { body: stormRequest.body } : {}),
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const during = await load(baseUrl, request, seconds, paced);
  const stats = await ask(child, 'stats');
  const stormResult = await storm;
  return {
    name: scenario.name,
    group: scenario.group,
    kind: 'http',
    rate: during.requests.average,
    errors: idle.errors + idle.timeouts + during.errors + during.timeouts + stormResult.errors,
    non2xx: idle.non2xx + during.non2xx + stormResult.non2xx,
    ...(stats
      ? { maxDelayMs: stats.maxDelayMs, pacedMaxDelayMs: stats.maxDelayMs, pacedP99DelayMs: stats.p99DelayMs }
      : {}),
    p99LatencyMs: during.latency.p99,
    storm: {
      idleP99LatencyMs: idle.latency.p99,
      idleRate: idle.requests.average,
      stormRate: stormResult.requests.average,
      stormNon2xx: stormResult.non2xx,
    },
  };
}

async function runHttp(file: string, scenario: HttpScenario): Promise<Row> {
  const { child, port } = await startServer(file, scenario.name);
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    if (scenario.storm) return await runStorm(baseUrl, { ...scenario, storm: scenario.storm }, child);
    const request = await scenario.prepare(baseUrl);
    await load(baseUrl, request, 1);
    await ask(child, 'reset');
    const result = await load(baseUrl, request, seconds);
    const stats = await ask(child, 'stats');
    // Under saturation the loop delay is mostly queueing (bare Express shows it too). Paced, one request at a
    // time at a tenth of the measured rate, it is the longest synchronous stretch plus GC: what the 5 ms budget
    // is about.
    await ask(child, 'reset');
    await load(baseUrl, request, pacedSeconds, {
      rate: Math.max(50, Math.round(result.requests.average / 10)),
    });
    const paced = await ask(child, 'stats');
    return {
      name: scenario.name,
      group: scenario.group,
      kind: 'http',
      rate: result.requests.average,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      ...(stats ? { maxDelayMs: stats.maxDelayMs } : {}),
      ...(paced ? { pacedMaxDelayMs: paced.maxDelayMs, pacedP99DelayMs: paced.p99DelayMs } : {}),
      p99LatencyMs: result.latency.p99,
      ...(scenario.baseline ? { baseline: true } : {}),
    };
  } finally {
    child.kill();
  }
}

async function runOps(scenario: OpsScenario): Promise<Row> {
  const { op, teardown } = await scenario.setup();
  const measure = async (ms: number): Promise<number> => {
    let count = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await op();
      count += 1;
    }
    return count;
  };
  await measure(500);
  const started = performance.now();
  const count = await measure(seconds * 1000);
  await teardown?.();
  return {
    name: scenario.name,
    group: scenario.group,
    kind: 'ops',
    rate: (count * 1000) / (performance.now() - started),
    errors: 0,
    non2xx: 0,
  };
}

function format(rows: Row[]): string {
  const bare = rows.find((r) => r.name === 'bare-express')?.rate;
  const lines = [
    '| scenario | group | rate | vs group baseline | vs bare Express | max event-loop delay | paced: max / p99 | p99 latency | errors / non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const baseline = rows.find((r) => r.group === row.group && r.baseline)?.rate;
    const unit = row.kind === 'http' ? 'req/s' : 'ops/s';
    lines.push(
      `| ${row.name} | ${row.group} | ${Math.round(row.rate).toLocaleString('en')} ${unit} | ${
        baseline && row.kind === 'http' ? (row.rate / baseline).toFixed(2) : '-'
      } | ${bare && row.kind === 'http' ? (row.rate / bare).toFixed(2) : '-'} | ${
        row.maxDelayMs !== undefined ? `${row.maxDelayMs.toFixed(1)} ms` : '-'
      } | ${
        row.pacedMaxDelayMs !== undefined
          ? `${row.pacedMaxDelayMs.toFixed(1)} / ${(row.pacedP99DelayMs ?? 0).toFixed(1)} ms`
          : '-'
      } | ${row.p99LatencyMs !== undefined ? `${row.p99LatencyMs} ms` : '-'} | ${row.errors} / ${row.non2xx} |`,
    );
  }
  for (const row of rows) {
    if (!row.storm) continue;
    const { idleP99LatencyMs, idleRate, stormRate } = row.storm;
    lines.push(
      '',
      `${row.name}: paced route p99 ${idleP99LatencyMs} ms idle, ${row.p99LatencyMs ?? '-'} ms during the storm (${
        idleP99LatencyMs > 0 ? ((row.p99LatencyMs ?? 0) / idleP99LatencyMs).toFixed(2) : '-'
      }x); answered ${row.rate.toFixed(0)}/s of ${stormPacedRate}/s (idle ${idleRate.toFixed(0)}/s); storm ${stormRate.toFixed(1)}/s`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const all = await loadAll();
  const selected = all.filter(
    ({ scenario }) =>
      filters.length === 0 ||
      scenario.name === 'bare-express' ||
      filters.some((f) => scenario.name.includes(f) || scenario.group.includes(f)),
  );
  // Baselines first within each group, so a reader sees the denominator before the ratios.
  selected.sort(
    (a, b) =>
      a.scenario.group.localeCompare(b.scenario.group) ||
      Number(Boolean((b.scenario as HttpScenario).baseline)) -
        Number(Boolean((a.scenario as HttpScenario).baseline)),
  );
  const rows: Row[] = [];
  for (const { file, scenario } of selected) {
    process.stderr.write(`bench: ${scenario.name} ...\n`);
    rows.push(scenario.kind === 'http' ? await runHttp(file, scenario) : await runOps(scenario));
  }
  const table = format(rows);
  console.log(
    `\nShieldwall bench — ${seconds} s per scenario, ${connections} connections, Node ${process.version}\n`,
  );
  console.log(table);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), JSON.stringify(rows, null, 2));
  writeFileSync(join(import.meta.dirname, 'results', 'latest.md'), table + '\n');
  // A scenario that errored or was refused measured something else: fail, so CI's smoke run catches a broken one.
  const broken = rows.filter((row) => row.errors > 0 || row.non2xx > 0);
  if (broken.length > 0) {
    console.error(`\nbench: errors or non-2xx answers in ${broken.map((row) => row.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
