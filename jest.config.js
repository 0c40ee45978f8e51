/**
 * Two projects: unit specs beside the code, end-to-end specs in test/ against a real PostgreSQL.
 * On Node 20 Jest cannot require() ESM, so the ESM-only packages the app loads are transformed too
 * (see ../shared/STACK.md); the Swagger CLI plugin runs as a ts-jest transformer so the served
 * OpenAPI document in tests is the same one `nest build` produces.
 */
const esmPackages = [
  '@nestjs',
  'cookie',
  'content-disposition',
  'file-type',
  'uint8array-extras',
  'strtok3',
  'token-types',
  '@tokenizer',
  'peek-readable',
  'p-limit',
  'yocto-queue',
];

const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: '<rootDir>/tsconfig.test.json',
      diagnostics: false,
      astTransformers: {
        before: [{ path: '<rootDir>/test/setup/swagger-plugin-transformer.js', options: { introspectComments: true, classValidatorShim: true } }],
      },
    },
  ],
  '^.+\\.(m?js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = [`/node_modules/(?!(${esmPackages.join('|')})/)`];

module.exports = {
  // A global option (ignored inside projects), and the only timeout: e2e specs boot apps, hash with
  // argon2 on a busy machine, run concurrency scenarios and hold Redis partitions of 12 to 30 s.
  testTimeout: 120000,
  // The default output, then the specs skipped for want of Redis, Chromium or root, with the reason.
  reporters: ['default', '<rootDir>/test/setup/skipped-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/migrations/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
      // A mutation run's sandbox is a copy of the project (same package name, same specs).
      modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.stryker-tmp'],
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      transform,
      transformIgnorePatterns,
      // A mutation run's sandbox is a copy of the project (same package name, same specs).
      modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.stryker-tmp'],
      slowTestThreshold: 20,
    },
  ],
};
