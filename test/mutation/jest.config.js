/**
 * The Jest configuration Stryker runs: the unit project of ../../jest.config.js as a single
 * project (Stryker's Jest runner drives one project), limited to the specs under src/, the only
 * ones that load the mutated modules.
 */
const path = require('node:path');
const { projects, testTimeout } = require('../../jest.config.js');

const unit = projects.find((project) => project.displayName === 'unit');
if (unit === undefined) throw new Error('jest.config.js has no project named unit');

module.exports = {
  ...unit,
  rootDir: path.resolve(__dirname, '../..'),
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout,
};
