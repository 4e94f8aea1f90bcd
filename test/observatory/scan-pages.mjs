// Grades pages with the MDN HTTP Observatory's own retriever, tests and score table, and prints one JSON line.
// Run by observatory.test.ts in a child process, for two reasons: NODE_EXTRA_CA_CERTS (the test's CA, so the
// certificate counts as valid and HSTS is graded) is read only when a process starts, and the package is ESM.
//   node scan-pages.mjs <hostname> <httpPort> <httpsPort> <path> [<path> ...]
// Each path is graded; same-origin links found in a graded HTML page are graded too (the crawl covers every page
// the app links to, and the given paths add the ones only e-mails link to).
//
// Why not the package's `scan()`: it calls `retrieve(hostname)` without its options, so it can only grade "/" on
// ports 80 and 443. The loop below is `scan()`'s own scoring (src/scanner/index.js, 1.4.x) over `retrieve()` with
// ports and a path.
import fs from 'node:fs';
import { retrieve } from '@mdn/mdn-http-observatory/src/retriever/retriever.js';
import { ALL_TESTS } from '@mdn/mdn-http-observatory/src/constants.js';
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from '@mdn/mdn-http-observatory/src/grader/charts.js';
import { getGradeForScore, getScoreModifier } from '@mdn/mdn-http-observatory/src/grader/grader.js';

// The package's postinstall downloads Chromium's HSTS preload list (conf/hsts-preload.json); pnpm skips build
// scripts and this machine has no internet. Without the file every HSTS check throws, so a missing list reads as
// empty, which is the truth for a loopback name: nothing here is preloaded.
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (String(file).endsWith('hsts-preload.json') && !fs.existsSync(file)) return '{}';
  return readFileSync.call(this, file, ...rest);
};

async function grade(hostname, httpPort, httpsPort, path) {
  const r = await retrieve(hostname, { httpPort, httpsPort, path });
  if (!r.responses.auto) return { path, error: 'no response' };
  const results = ALL_TESTS.map((test) => test(r));
  let withExtraCredit = 100;
  let uncurved = 100;
  const tests = {};
  for (const result of results) {
    if (!result.result) continue;
    const modifier = getScoreModifier(result.result);
    withExtraCredit += modifier;
    if (modifier < 0) uncurved += modifier;
    // The most this check can add, so a report can say which checks leave points on the table.
    const best = Math.max(...result.constructor.possibleResults.map((r) => getScoreModifier(r)));
    tests[result.constructor.name] = { result: result.result, pass: result.pass, modifier, best };
  }
  const { score, grade } = getGradeForScore(
    uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved,
  );
  const auto = r.responses.auto;
  const html = /^text\/html/.test(String(auto.headers['content-type'] ?? ''));
  return {
    path,
    status: auto.status,
    verified: auto.verified === true,
    score,
    grade,
    tests,
    links: html ? sameOriginLinks(String(r.resources.path ?? '')) : [],
    externalScripts: html ? externalScripts(String(r.resources.path ?? '')) : [],
  };
}

function externalScripts(page) {
  return [...page.matchAll(/<script\b[^>]*\bsrc="(https?:\/\/[^"]*)"/gi)].map(([, src]) => src);
}

function sameOriginLinks(page) {
  const links = new Set();
  for (const [, href] of page.matchAll(/<a\b[^>]*\bhref="([^"]*)"/gi)) {
    if (!href.startsWith('/') || href.startsWith('//')) continue;
    links.add(href.split('#')[0].split('?')[0] || '/');
  }
  return [...links];
}

const [hostname, httpPort, httpsPort, ...start] = process.argv.slice(2);
const queue = [...start];
const seen = new Set(queue);
const pages = [];
while (queue.length > 0) {
  const page = await grade(hostname, Number(httpPort), Number(httpsPort), queue.shift());
  pages.push(page);
  for (const link of page.links ?? []) {
    if (!seen.has(link)) {
      seen.add(link);
      queue.push(link);
    }
  }
}
process.stdout.write(`${JSON.stringify(pages)}\n`);
