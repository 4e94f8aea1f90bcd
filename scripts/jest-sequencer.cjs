// The order in which jest hands test files to its workers: the slowest first, so that no worker starts a
// five-minute suite while the others finish early and wait. Jest's own sequencer already orders by the durations
// in its cache, but a file it has no duration for (every file on a fresh clone, as in CI) goes first ordered by
// size, which says little here: the slowest suites spend their time in child processes (pnpm pack, npm install, a
// production build, Chromium), not in long files. So a file without a cached duration gets an estimate: a few
// minutes for the suites known to spawn such work, otherwise about a second per 500 bytes. Failed files still
// come first, as in jest's own order.
const Sequencer = require('@jest/test-sequencer').default;

const knownSlow = [
  /\/test\/packaging\//,
  /\/test\/app-copy\//,
  /\/test\/browser\//,
  /\/test\/observatory\//,
  /\/reference-app\/test\/production\//,
  /\/reference-app\/test\/startup\//,
];

class SlowestFirstSequencer extends Sequencer {
  sort(tests) {
    const estimate = (test) => {
      const cached = this.time(test);
      if (cached != null) return cached;
      if (knownSlow.some((pattern) => pattern.test(test.path))) return 300_000;
      return (test.context.hasteFS.getSize(test.path) ?? 0) * 2;
    };
    const order = new Map(tests.map((test) => [test, estimate(test)]));
    return [...tests].sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      return order.get(b) - order.get(a);
    });
  }
}

module.exports = SlowestFirstSequencer;
