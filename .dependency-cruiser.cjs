// The house rules that imports can break (README, "How the code is laid out"). `npm run lint:deps`.

/** Folders of src/, bottom to top: a folder may import its own layer and the layers below it. */
const LAYERS = [
  ['config'],
  ['metrics', 'redis', 'database'],
  ['common'],
  ['outbox'],
  ['mail'],
  ['sessions'],
  ['users'],
  ['auth'],
  ['tasks', 'health'],
  ['cli'],
];
const FEATURES = ['outbox', 'mail', 'sessions', 'users', 'auth', 'tasks', 'health', 'cli'];
/** Folders holding a feature's tables, each reached through its repository only. */
const DATA_FEATURES = ['tasks', 'users', 'sessions', 'outbox', 'common/idempotency'];

const folders = (names) => `^src/(${names.join('|')})/`;

const upwardImports = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may import only folders below or beside it, never ${LAYERS.slice(index + 1)
    .flat()
    .join(', ')}`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: folders(LAYERS.slice(index + 1).flat()) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Two folders that import each other (directly or around a loop) are one tangled layer',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'common-and-config-know-no-feature',
      comment: 'common/ and config/ are below every feature: they import none of them',
      severity: 'error',
      from: { path: '^src/(common|config)/' },
      to: { path: [folders(FEATURES), '^src/[^/]+\\.ts$'] },
    },
    ...upwardImports,
    {
      name: 'nothing-imports-the-wiring',
      comment: 'main.ts, app.module.ts and app.factory.ts wire everything; only commands may start the app',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/cli/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'repository-stays-in-its-feature',
      comment: 'A module uses another module through the service it exports, never through its repository',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '\\.repository\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'sql-only-in-repositories',
      comment: "A feature's SQL and TypeORM calls live in its repository (entities and modules declare, they do not query)",
      severity: 'error',
      from: { path: folders(DATA_FEATURES), pathNot: '(\\.repository|\\.entity|\\.module|\\.spec)\\.ts$' },
      to: { path: '(^|/)node_modules/typeorm/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
