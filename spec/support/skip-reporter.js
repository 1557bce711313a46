/**
 * jest reporter: after the run, prints every skip reason that specs recorded (spec/support/
 * skips.ts), together, so a skipped suite is never only a line lost in the run's output.
 */
'use strict';
const { existsSync, readFileSync, rmSync } = require('node:fs');

class SkipReporter {
  onRunComplete() {
    const log = process.env.STOMPBOX_SKIP_LOG;
    if (!log || !existsSync(log)) return;
    const seen = new Set();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (line.trim() !== '') seen.add(line);
    }
    rmSync(log, { force: true });
    if (seen.size === 0) {
      process.stdout.write('\nNo suite was skipped for a missing service or tool.\n');
      return;
    }
    const items = [...seen].map((l) => JSON.parse(l)).map((s) => `  - ${s.suite}: ${s.reason}`);
    process.stdout.write(`\nSkipped, for a missing service or tool:\n${items.join('\n')}\n`);
  }
}

module.exports = SkipReporter;
