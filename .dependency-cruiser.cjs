/**
 * The layering of src/ as rules (README, "Architecture"). `npm run depcheck` (part of `npm run lint`
 * and so of CI) fails when one breaks. Downward only:
 *
 *   contract            ground floor: names, kinds, limits, errors, the baseline document
 *   es, assets          the cluster client / requests; the package's data files
 *   rules, config       the rule table; mlmon.yml and time parsing
 *   baseline, transport, metrics, job, setup, dashboard   the domain parts
 *   doctor              proves the installed parts work together (setup's checks, the transport, the window query)
 *   cli                 commands, imported by nobody
 */
const layer = (from, allowed) => ({
  name: `layer-${from}`,
  comment: `src/${from}/ may import only ${allowed.join(', ') || 'itself'} (and packages)`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/${from}/`, ...allowed.map((a) => `^src/${a}/`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'folders depend on each other in one direction only',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
      scope: 'folder',
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'cli-is-a-leaf',
      comment: 'commands sit on top: nothing imports src/cli/',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    layer('contract', []),
    layer('es', ['contract']),
    layer('assets', ['contract', 'es']),
    layer('rules', ['contract']),
    layer('config', ['contract', 'rules']),
    layer('baseline', ['contract', 'es', 'assets']),
    layer('transport', ['contract', 'es', 'baseline']),
    layer('metrics', ['contract', 'es', 'rules']),
    layer('job', ['contract', 'es', 'assets', 'rules', 'config', 'baseline', 'metrics']),
    layer('setup', ['contract', 'es', 'assets', 'rules', 'config', 'baseline']),
    layer('dashboard', ['contract', 'es', 'assets', 'config', 'rules']),
    layer('doctor', [
      'contract',
      'es',
      'assets',
      'rules',
      'config',
      'baseline',
      'transport',
      'metrics',
      'setup',
    ]),
    {
      name: 'transport-loads-only-what-it-needs',
      comment:
        'an application that only logs predictions loads the transport, the contract, the client and the baseline reader: never the installer, the job, the dashboards or the commands',
      severity: 'error',
      from: { path: '^src/(transport/|index\\.ts$)' },
      to: {
        path: '^src/(setup|job|dashboard|cli|metrics|assets|config)/|^src/baseline/(?!baseline-reader\\.ts$)',
        reachable: true,
      },
    },
    {
      name: 'no-dev-files-in-the-package',
      comment: 'src/ is the published package: it never imports the scripts, tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|scripts|test|bench)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
