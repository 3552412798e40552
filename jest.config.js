// Two projects: fast unit tests beside the code, and integration tests under test/
// that talk to real servers started once per run by test/support/global-setup.ts.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@runlog/(contracts|bus|platform|testing|store|sdk)$': '<rootDir>/libs/$1/src',
  '^@runlog/sdk/nest$': '<rootDir>/libs/sdk/src/nest',
  '^@runlog/bus/core$': '<rootDir>/libs/bus/src/core',
};
// NestJS 12 ships ES modules only. Node 20.19+ loads them from CommonJS (require(esm)),
// but jest's module system does not, so swc turns them into CommonJS for the tests.
const esmOnly = [
  '@nestjs',
  'nestjs-pino',
  'eventsource-parser',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  'content-disposition',
];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // Build and bench output, and the bench's peer packages (NestJS 11): copies of modules
  // jest must not resolve in place of the sources (an HTTP sink test hung with them in).
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/dist-bench/', '<rootDir>/bench/peers/'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // A global option (jest ignores it per project): integration tests wait on real servers.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/test/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
