import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Artifact, fetchArtifact, fileNameOf } from './maven.js';

/** One kind of search engine the project can start: where it comes from and how it is configured. */
export interface EngineSpec {
  /** key in the state file */
  key: 'elasticsearch' | 'ingestEngine';
  product: 'elasticsearch' | 'opensearch';
  version: string;
  heap: string;
  jdk: { min: number; max?: number; envVar: string };
  /** environment variable names of this product's launcher */
  env: { javaHome: string; javaOpts: string; pathConf: string; tmpDir: string };
  configFile: string;
  /** returns the directory of a ready-to-run installation under `cacheDir` */
  install(cacheDir: string): string;
  settings(opts: {
    httpPort: number;
    transportPort: number;
    runDir: string;
  }): Record<string, string | boolean>;
}

function unzipOnce(zip: string, targetDir: string, topLevel: string): string {
  const home = join(targetDir, topLevel);
  if (existsSync(home)) return home;
  const tmp = `${targetDir}.unpacking-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('unzip', ['-q', zip, '-d', tmp]);
  mkdirSync(targetDir, { recursive: true });
  renameSync(join(tmp, topLevel), home);
  rmSync(tmp, { recursive: true, force: true });
  return home;
}

/** A single node on loopback with its data and logs in the run directory; the same for both engines. */
function singleNodeSettings(
  name: string,
  p: { httpPort: number; transportPort: number; runDir: string },
): Record<string, string | boolean> {
  return {
    'cluster.name': name,
    'node.name': name,
    'network.host': '127.0.0.1',
    'http.port': String(p.httpPort),
    'transport.port': String(p.transportPort),
    'discovery.type': 'single-node',
    'path.data': join(p.runDir, 'data'),
    'path.logs': join(p.runDir, 'logs'),
    // tests clean up by name pattern
    'action.destructive_requires_name': false,
    // a nearly full disk must not turn test indices read-only
    'cluster.routing.allocation.disk.threshold_enabled': false,
  };
}

export function elasticsearchSpec(version: string): EngineSpec {
  return {
    key: 'elasticsearch',
    product: 'elasticsearch',
    version,
    heap: '1g',
    // Elasticsearch 9 needs Java 21 or newer
    jdk: { min: 21, envVar: 'ES_JAVA_HOME' },
    env: {
      javaHome: 'ES_JAVA_HOME',
      javaOpts: 'ES_JAVA_OPTS',
      pathConf: 'ES_PATH_CONF',
      tmpDir: 'ES_TMPDIR',
    },
    configFile: 'elasticsearch.yml',
    install(cacheDir) {
      const zip = fetchArtifact(
        {
          groupId: 'org.elasticsearch.distribution.integ-test-zip',
          artifactId: 'elasticsearch',
          version,
          packaging: 'zip',
        },
        join(cacheDir, 'downloads'),
      );
      return unzipOnce(zip, join(cacheDir, `elasticsearch-${version}`), `elasticsearch-${version}`);
    },
    settings: (p) => ({ ...singleNodeSettings('mlmon-test', p), 'xpack.security.enabled': false }),
  };
}

/** The OpenSearch modules that bring ingest processors and Painless, with their own dependencies. */
function ingestModules(version: string): {
  name: string;
  classname: string;
  description: string;
  extended: string;
  jars: Artifact[];
  policy: string;
}[] {
  const asm = (artifactId: string): Artifact => ({ groupId: 'org.ow2.asm', artifactId, version: '9.7' });
  return [
    {
      name: 'lang-painless',
      classname: 'org.opensearch.painless.PainlessPlugin',
      description: 'An easy, safe and fast scripting language for OpenSearch',
      extended: '',
      jars: [
        { groupId: 'org.opensearch.plugin', artifactId: 'lang-painless', version },
        { groupId: 'org.opensearch.plugin', artifactId: 'opensearch-scripting-painless-spi', version },
        { groupId: 'org.antlr', artifactId: 'antlr4-runtime', version: '4.13.1' },
        asm('asm'),
        asm('asm-util'),
        asm('asm-tree'),
        asm('asm-commons'),
        asm('asm-analysis'),
      ],
      policy: 'lang-painless.policy',
    },
    {
      // renders {{{_ingest.timestamp}}} and other templates in processor parameters
      name: 'lang-mustache',
      classname: 'org.opensearch.script.mustache.MustachePlugin',
      description: 'Mustache scripting integration for OpenSearch',
      extended: '',
      jars: [
        // published under the name of its former client artifact; the same module jar
        { groupId: 'org.opensearch.plugin', artifactId: 'lang-mustache-client', version },
        { groupId: 'com.github.spullara.mustache.java', artifactId: 'compiler', version: '0.9.14' },
      ],
      policy: 'lang-mustache.policy',
    },
    {
      name: 'ingest-common',
      classname: 'org.opensearch.ingest.common.IngestCommonPlugin',
      description:
        'Module for ingest processors that do not require additional security permissions or have large dependencies and resources',
      extended: 'lang-painless',
      jars: [
        { groupId: 'org.opensearch.plugin', artifactId: 'ingest-common', version },
        { groupId: 'org.opensearch', artifactId: 'opensearch-grok', version },
        { groupId: 'org.opensearch', artifactId: 'opensearch-dissect', version },
        { groupId: 'org.jruby.joni', artifactId: 'joni', version: '2.2.1' },
        { groupId: 'org.jruby.jcodings', artifactId: 'jcodings', version: '1.0.61' },
      ],
      policy: 'ingest-common.policy',
    },
  ];
}

export function opensearchIngestSpec(version: string, policyDir: string): EngineSpec {
  return {
    key: 'ingestEngine',
    product: 'opensearch',
    version,
    heap: '512m',
    // OpenSearch 2.x runs under the Java security manager, which Java 24 removed
    jdk: { min: 11, max: 23, envVar: 'MLMON_OPENSEARCH_JAVA_HOME' },
    env: {
      javaHome: 'OPENSEARCH_JAVA_HOME',
      javaOpts: 'OPENSEARCH_JAVA_OPTS',
      pathConf: 'OPENSEARCH_PATH_CONF',
      tmpDir: 'OPENSEARCH_TMPDIR',
    },
    configFile: 'opensearch.yml',
    install(cacheDir) {
      const downloads = join(cacheDir, 'downloads');
      const zip = fetchArtifact(
        {
          groupId: 'org.opensearch.distribution.integ-test-zip',
          artifactId: 'opensearch',
          version,
          packaging: 'zip',
        },
        downloads,
      );
      const target = join(cacheDir, `opensearch-${version}-ingest`);
      const home = join(target, `opensearch-${version}`);
      const marker = join(home, '.modules-complete');
      const wanted = ingestModules(version)
        .map((m) => m.name)
        .join(',');
      if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return home;
      rmSync(target, { recursive: true, force: true });
      unzipOnce(zip, target, `opensearch-${version}`);
      for (const mod of ingestModules(version)) {
        const modDir = join(home, 'modules', mod.name);
        mkdirSync(modDir, { recursive: true });
        for (const jar of mod.jars)
          copyFileSync(fetchArtifact(jar, downloads), join(modDir, fileNameOf(jar)));
        writeFileSync(
          join(modDir, 'plugin-descriptor.properties'),
          [
            `description=${mod.description}`,
            `version=${version}`,
            `name=${mod.name}`,
            `classname=${mod.classname}`,
            'java.version=11',
            `opensearch.version=${version}`,
            `extended.plugins=${mod.extended}`,
            'has.native.controller=false',
            '',
          ].join('\n'),
        );
        copyFileSync(join(policyDir, mod.policy), join(modDir, 'plugin-security.policy'));
      }
      writeFileSync(marker, wanted);
      return home;
    },
    settings: (p) => singleNodeSettings('mlmon-ingest-engine', p),
  };
}

/** A private config directory per run: the node writes its keystore there. */
export function prepareRunDir(
  home: string,
  runDir: string,
  spec: EngineSpec,
  settings: Record<string, string | boolean>,
  keepData = false,
): string {
  if (keepData) rmSync(join(runDir, 'config'), { recursive: true, force: true });
  else rmSync(runDir, { recursive: true, force: true });
  const conf = join(runDir, 'config');
  mkdirSync(join(runDir, 'data'), { recursive: true });
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  mkdirSync(join(runDir, 'tmp'), { recursive: true });
  cpSync(join(home, 'config'), conf, { recursive: true });
  const yml = Object.entries(settings)
    .map(([k, v]) => `${k}: ${typeof v === 'boolean' ? v : JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(join(conf, spec.configFile), `# written by scripts/es-node.ts\n${yml}\n`);
  // OpenSearch's jvm.options point GC logs and heap dumps at paths relative to its (read-only) home
  const jvmOptions = join(conf, 'jvm.options');
  writeFileSync(
    jvmOptions,
    readFileSync(jvmOptions, 'utf8')
      .replaceAll('file=logs/', `file=${join(runDir, 'logs')}/`)
      .replaceAll(':logs/', `:${join(runDir, 'logs')}/`)
      .replaceAll('=logs/', `=${join(runDir, 'logs')}/`)
      .replace(/HeapDumpPath=data\b/, `HeapDumpPath=${join(runDir, 'data')}`),
  );
  return conf;
}
