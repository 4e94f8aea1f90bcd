// Added to jest's default reporter by jest.config.cjs. Two things the default one does not do:
// - progress when the output is not a terminal (CI logs, `npm test | tee`): after each test file, how many of
//   how many are done, how many failed, and the time so far. On a terminal jest already draws its own bar.
// - one closing line that says what was skipped and why. Suites that cannot run here skip themselves visibly:
//   a skipped test whose name ends in `[skipped: <reason>]` (describeWithRedis, describeWithChromium), or a
//   console warning that says it skipped (`SKIPPED: …`, `… is skipped`). This collects both, grouped by reason.
const { relative } = require('node:path');

const titleReason = /\[skipped: ([^\]]+)\]/;
const consoleReason = /\bskipped\b/i;

function minutes(ms) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** A console warning's first line, without a leading `SKIPPED:` and without where to fix it (said once). */
function consoleSkipReason(message) {
  return message
    .split('\n')[0]
    .replace(/^SKIPPED:\s*/i, '')
    .trim();
}

class RunReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.done = 0;
    this.failed = 0;
    this.total = 0;
    this.startedAt = Date.now();
    /** reason → { tests, suites: Set<string> } */
    this.skipped = new Map();
    this.progress = !process.stderr.isTTY;
  }

  onRunStart(aggregated) {
    this.total = aggregated.numTotalTestSuites;
    this.startedAt = Date.now();
  }

  note(reason, suite, tests) {
    const entry = this.skipped.get(reason) ?? { tests: 0, suites: new Set() };
    entry.tests += tests;
    entry.suites.add(suite);
    this.skipped.set(reason, entry);
  }

  onTestResult(test, result) {
    this.done += 1;
    if (result.numFailingTests > 0 || result.testExecError) this.failed += 1;
    const suite = relative(this.rootDir, test.path);
    let named = 0;
    let unnamed = 0;
    for (const assertion of result.testResults) {
      if (!['pending', 'skipped', 'todo'].includes(assertion.status)) continue;
      const match = titleReason.exec([...assertion.ancestorTitles, assertion.title].join(' '));
      if (match) {
        named += 1;
        this.note(match[1], suite, 1);
      } else unnamed += 1;
    }
    // A suite that names its reason in test titles also warns once on the console: counted once, by title.
    const warnings = named ? [] : (result.console ?? []).filter((entry) => consoleReason.test(entry.message));
    warnings.forEach((entry, i) => this.note(consoleSkipReason(entry.message), suite, i === 0 ? unnamed : 0));
    if (unnamed > 0 && named === 0 && warnings.length === 0)
      this.note('no reason given (it.skip / describe.skip)', suite, unnamed);
    if (this.progress) {
      const failed = this.failed ? `, ${this.failed} failed` : '';
      const elapsed = minutes(Date.now() - this.startedAt);
      process.stderr.write(`  … ${this.done}/${this.total} test files done${failed}, ${elapsed}\n`);
    }
  }

  onRunComplete() {
    const parts = [...this.skipped.entries()]
      .sort((a, b) => b[1].suites.size - a[1].suites.size)
      .map(([reason, { tests, suites }]) => {
        const files = `${suites.size} file${suites.size === 1 ? '' : 's'}`;
        const counted = tests > 0 ? `${tests} test${tests === 1 ? '' : 's'} in ${files}` : files;
        const names = [...suites];
        const more = names.length > 3 ? `, +${names.length - 3} more` : '';
        return `${reason} (${counted}: ${names.slice(0, 3).join(', ')}${more})`;
      });
    const line = parts.length ? `Skipped: ${parts.join('; ')}` : 'Skipped: nothing; every suite ran.';
    // Jest adds its own summary reporter after every configured one; waiting one turn of the event loop puts this
    // line after "Test Suites: … / Tests: … / Time: …", as the run's last.
    setImmediate(() => process.stderr.write(`${line}\n`));
  }
}

module.exports = RunReporter;
