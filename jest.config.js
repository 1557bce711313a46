/**
 * Two jest projects over spec/**: 'browser', the specs that launch Chromium (they call
 * `launchBrowser` of spec/helpers/browser.ts, found here by reading the files, so a new one
 * joins by itself), and 'default', every other spec. `npm test` runs both;
 * `npx jest --selectProjects default` the fast part. The requirements printout (globalSetup)
 * and the skip summary (reporter) are the run's, once whatever projects run.
 */
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');

const SPEC = path.join(__dirname, 'spec');

/** Every spec file under spec/, as an absolute path. */
function specFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : specFiles(full);
    return e.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Specs that launch Chromium. */
const browserSpecs = specFiles(SPEC).filter((file) => /\blaunchBrowser\s*\(/.test(readFileSync(file, 'utf8')));

/** A path as a regular expression that matches it exactly (jest tests testPathIgnorePatterns against absolute paths). */
const exactly = (file) => `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

/** What both projects share. */
const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  setupFiles: ['<rootDir>/spec/support/quiet-logs.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...project, displayName: 'default', testMatch: ['**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', ...browserSpecs.map(exactly)] },
    { ...project, displayName: 'browser', testMatch: browserSpecs.length === 0 ? ['<rootDir>/spec/no-browser-spec'] : browserSpecs },
  ],
  globalSetup: '<rootDir>/spec/support/global-setup.ts',
  reporters: ['default', '<rootDir>/spec/support/skip-reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
