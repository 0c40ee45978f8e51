import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { documentedVariables, PLACEHOLDER_SECRETS, ROOT } from './config-vars';

/**
 * The kustomize base and the production overlay, rendered by `kubectl kustomize` and checked
 * object by object: against the Kubernetes schemas (kubernetes-models' validators, plus
 * TypeScript's excess-property check on its types to catch misspelt fields), and for the things
 * a safe rollout needs: probes, limits, a locked-down security context, a drain-friendly stop.
 */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    restartPolicy?: string;
    serviceAccountName?: string;
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  };
}
interface Deployment extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate };
}
interface Job extends K8sObject {
  spec: { template: PodTemplate };
}
interface Service extends K8sObject {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface Hpa extends K8sObject {
  spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
}
interface Pdb extends K8sObject {
  spec: { selector: { matchLabels: Record<string, string> }; minAvailable?: number | string; maxUnavailable?: number | string };
}
interface ConfigMap extends K8sObject {
  data: Record<string, string>;
}

const K8S_DIR = resolve(ROOT, 'deploy/k8s');
const MIGRATION_COMMAND = ['node', 'node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'];
const SECRET_KEYS = Object.keys(PLACEHOLDER_SECRETS).sort();
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = kubectl.status === 0;
if (!hasKubectl) {
  console.warn('test/deploy/k8s.spec.ts: SKIPPED, kubectl (with kustomize) is not installed: install kubectl to render and check deploy/k8s');
}

function render(dir: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', resolve(K8S_DIR, dir)], { encoding: 'utf8' });
  return parseAllDocuments(yaml).map((doc) => doc.toJS() as K8sObject);
}

function one<T extends K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0] as T;
}

function only<T>(items: T[] | undefined, what: string): T {
  if (items?.length !== 1 || items[0] === undefined) throw new Error(`expected exactly one ${what}`);
  return items[0];
}

/**
 * kubernetes-models is ESM only; Jest here runs CommonJS, so validation runs in a plain Node
 * child process. Returns one error message (or null) per object.
 */
function validateWithKubernetesModels(objects: unknown[]): (string | null)[] {
  const script = `
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    const results = [];
    for (const object of JSON.parse(Buffer.concat(chunks).toString('utf8'))) {
      try {
        const Model = (await import('kubernetes-models/' + object.apiVersion))[object.kind];
        if (typeof Model !== 'function') throw new Error('no model for ' + object.apiVersion + ' ' + object.kind);
        new Model(object).validate();
        results.push(null);
      } catch (error) {
        results.push(String(error && error.message ? error.message : error));
      }
    }
    process.stdout.write(JSON.stringify(results));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, input: JSON.stringify(objects), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kubernetes-models validation did not run: ${run.stderr}`);
  return JSON.parse(run.stdout) as (string | null)[];
}

/**
 * The Kubernetes schemas accept unknown fields (the API server then drops or rejects them), so a
 * misspelt field would pass. TypeScript's excess-property check against kubernetes-models'
 * interfaces catches it: each object becomes a literal typed `I<Kind>`.
 */
function excessPropertyErrors(objects: K8sObject[]): string[] {
  const file = resolve(ROOT, 'test/deploy/__rendered_k8s_objects__.ts');
  const text =
    objects.map((o, i) => `const o${i}: import(${JSON.stringify(`kubernetes-models/${o.apiVersion}`)}).I${o.kind} = ${JSON.stringify(o)};`).join('\n') +
    `\nexport const all = [${objects.map((_, i) => `o${i}`).join(', ')}];\n`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    resolve(name) === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported memory quantity ${quantity}`);
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };
  return Number(match[1]) * (match[2] ? (units[match[2]] ?? 1) : 1);
}

function cpu(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

const describeWithKubectl = hasKubectl ? describe : describe.skip;

const renders = new Map<string, K8sObject[]>();
function rendered(variant: 'base' | 'production'): K8sObject[] {
  let objects = renders.get(variant);
  if (!objects) {
    objects = render(variant === 'base' ? 'base' : 'overlays/production');
    renders.set(variant, objects);
  }
  return objects;
}

/** The objects of one rendering, and the pieces most checks look at. */
function rendering(variant: 'base' | 'production') {
  const objects = rendered(variant);
  const deployment = one<Deployment>(objects, 'Deployment');
  const job = one<Job>(objects, 'Job');
  return {
    objects,
    deployment,
    job,
    configMap: one<ConfigMap>(objects, 'ConfigMap'),
    api: only(deployment.spec.template.spec.containers, 'API container'),
    migrate: only(job.spec.template.spec.containers, 'migration container'),
  };
}

describeWithKubectl('Kubernetes manifests (kustomize)', () => {
  describe.each(['base', 'production'] as const)('%s', (variant) => {
    it('renders the expected objects and no Secret', () => {
      const { objects } = rendering(variant);
      expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual([
        'apps/v1 Deployment',
        'autoscaling/v2 HorizontalPodAutoscaler',
        'batch/v1 Job',
        'policy/v1 PodDisruptionBudget',
        'v1 ConfigMap',
        'v1 Service',
        'v1 ServiceAccount',
      ]);
    });

    it('is valid against the Kubernetes schemas', () => {
      const { objects } = rendering(variant);
      expect(validateWithKubernetesModels(objects)).toEqual(objects.map(() => null));
      expect(excessPropertyErrors(objects)).toEqual([]);
    });

    it('probes liveness on /health/live and readiness on /health/ready, on the HTTP port', () => {
      const { api, configMap } = rendering(variant);
      const http = api.ports?.find((p) => p.name === 'http');
      expect(http?.containerPort).toBe(loadConfig({ ...configMap.data, ...PLACEHOLDER_SECRETS }).port);
      expect(api.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    });

    it('sets resource requests and limits on every container', () => {
      const { api, migrate } = rendering(variant);
      for (const container of [api, migrate]) {
        for (const key of ['requests', 'limits'] as const) {
          expect(Object.keys(container.resources?.[key] ?? {}).sort()).toEqual(['cpu', 'memory']);
        }
        const { requests = {}, limits = {} } = container.resources ?? {};
        expect(bytes(limits.memory ?? '0')).toBeGreaterThanOrEqual(bytes(requests.memory ?? '0'));
        expect(cpu(limits.cpu ?? '0')).toBeGreaterThanOrEqual(cpu(requests.cpu ?? '0'));
      }
    });

    it('runs every pod locked down: non-root, read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
      const { deployment, job } = rendering(variant);
      for (const template of [deployment.spec.template, job.spec.template]) {
        expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(template.spec.securityContext?.runAsUser).toBeGreaterThan(0);
        for (const container of template.spec.containers) {
          expect(container.securityContext).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          });
        }
      }
    });

    it('stops gracefully: preStop sleep, then drain and shutdown timeout, all within the grace period', () => {
      const { api, configMap, deployment } = rendering(variant);
      const preStop = api.lifecycle?.preStop?.exec?.command ?? [];
      expect(preStop[0]).toBe('sleep');
      const preStopSeconds = Number(preStop[1]);
      expect(preStopSeconds).toBeGreaterThanOrEqual(3);
      const config = loadConfig({ ...configMap.data, ...PLACEHOLDER_SECRETS });
      const grace = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace * 1000).toBeGreaterThan(preStopSeconds * 1000 + config.shutdownDrainDelayMs + config.shutdownTimeoutMs);
    });

    it('takes settings from the generated ConfigMap and secrets from the Secret taskwright-secrets', () => {
      const { api, migrate, configMap } = rendering(variant);
      for (const container of [api, migrate]) {
        expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
        for (const variable of container.env ?? []) {
          expect(variable.value).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef).toEqual({ name: 'taskwright-secrets', key: variable.name });
        }
      }
      expect((api.env ?? []).map((e) => e.name).sort()).toEqual(SECRET_KEYS);
      expect((migrate.env ?? []).map((e) => e.name).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET']);
    });

    it('puts in the ConfigMap only variables the configuration accepts, with values it accepts, and no secrets', () => {
      const { api, configMap, deployment } = rendering(variant);
      const accepted = documentedVariables();
      expect(Object.keys(configMap.data).filter((key) => !accepted.has(key))).toEqual([]);
      for (const secret of SECRET_KEYS) expect(configMap.data).not.toHaveProperty(secret);
      const config = loadConfig({ ...configMap.data, ...PLACEHOLDER_SECRETS });
      expect(config.isProduction).toBe(true);
      expect(config.migrationsRun).toBe(false);
      // Metrics on their own port, which the pod exposes and Prometheus is told about.
      expect(config.metricsPort).toBeDefined();
      expect(api.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(config.metricsPort);
      expect(deployment.spec.template.metadata?.annotations?.['prometheus.io/port']).toBe(String(config.metricsPort));
    });

    it('runs the documented one-shot migration in a Job with the same image', () => {
      const { api, migrate, job } = rendering(variant);
      expect(migrate.command).toEqual(MIGRATION_COMMAND);
      expect(migrate.image).toBe(api.image);
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
    });

    it('routes, scales and protects the API pods only', () => {
      const { objects, deployment, job } = rendering(variant);
      const podLabels = deployment.spec.template.metadata?.labels;
      const service = one<Service>(objects, 'Service');
      expect(selects(service.spec.selector, podLabels)).toBe(true);
      expect(selects(service.spec.selector, job.spec.template.metadata?.labels)).toBe(false);
      expect(service.spec.ports.find((p) => p.name === 'http')?.targetPort).toBe('http');
      const pdb = one<Pdb>(objects, 'PodDisruptionBudget');
      expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
      const hpa = one<Hpa>(objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      // The autoscaler owns the replica count: a fixed one would be reset on every apply.
      expect(deployment.spec.replicas).toBeUndefined();
    });

    it('labels exactly what the migration needs for the pre-deploy step', () => {
      const { objects, job } = rendering(variant);
      const preDeploy = objects.filter((o) => o.metadata.labels?.['taskwright.dev/phase'] === 'pre-deploy');
      expect(preDeploy.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Job', 'ServiceAccount']);
      expect(preDeploy.find((o) => o.kind === 'ServiceAccount')?.metadata.name).toBe(job.spec.template.spec.serviceAccountName);
    });
  });

  it('production runs more, bigger replicas of a pinned image in its own namespace', () => {
    const base = rendered('base');
    const production = rendered('production');
    for (const object of production) expect(object.metadata.namespace).toBe('taskwright');
    const baseApi = only(one<Deployment>(base, 'Deployment').spec.template.spec.containers, 'API container');
    const prodApi = only(one<Deployment>(production, 'Deployment').spec.template.spec.containers, 'API container');
    expect(prodApi.image).toMatch(/^[\w.-]+(\/[\w.-]+)+:\d+\.\d+\.\d+$/);
    expect(bytes(prodApi.resources?.limits?.memory ?? '0')).toBeGreaterThan(bytes(baseApi.resources?.limits?.memory ?? '0'));
    expect(cpu(prodApi.resources?.limits?.cpu ?? '0')).toBeGreaterThan(cpu(baseApi.resources?.limits?.cpu ?? '0'));
    const baseHpa = one<Hpa>(base, 'HorizontalPodAutoscaler');
    const prodHpa = one<Hpa>(production, 'HorizontalPodAutoscaler');
    expect(prodHpa.spec.minReplicas).toBeGreaterThan(baseHpa.spec.minReplicas);
    expect(prodHpa.spec.maxReplicas).toBeGreaterThan(baseHpa.spec.maxReplicas);
    const pdb = one<Pdb>(production, 'PodDisruptionBudget');
    expect(Number(pdb.spec.minAvailable)).toBeLessThan(prodHpa.spec.minReplicas);
    expect(pdb.spec.maxUnavailable).toBeUndefined();
  });

  it('the validators reject broken objects (so the checks above can fail)', () => {
    const deployment = structuredClone(one<Deployment>(rendered('base'), 'Deployment'));
    const container = only(deployment.spec.template.spec.containers, 'API container') as unknown as Record<string, unknown>;
    container.ports = [{ name: 'http', containerPort: 'three thousand' }];
    expect(validateWithKubernetesModels([deployment])[0]).toMatch(/containerPort must be integer/);
    const misspelt = structuredClone(one<Deployment>(rendered('base'), 'Deployment'));
    (only(misspelt.spec.template.spec.containers, 'API container') as unknown as Record<string, unknown>).readinesProbe = {};
    expect(excessPropertyErrors([misspelt]).join('\n')).toMatch(/readinesProbe/);
  });

  it('ships an example Secret with placeholders only, which no kustomization includes', () => {
    const example = parse(readFileSync(join(K8S_DIR, 'examples/secret.example.yaml'), 'utf8')) as K8sObject & { stringData: Record<string, string> };
    expect(validateWithKubernetesModels([example])).toEqual([null]);
    expect(example.metadata.name).toBe('taskwright-secrets');
    expect(Object.keys(example.stringData).sort()).toEqual(SECRET_KEYS);
    for (const value of Object.values(example.stringData)) expect(value).toMatch(/CHANGE-ME|example/);

    const kustomizations: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (entry === 'kustomization.yaml') kustomizations.push(path);
      }
    };
    walk(K8S_DIR);
    expect(kustomizations.map((k) => relative(K8S_DIR, k)).sort()).toEqual(['base/kustomization.yaml', 'overlays/production/kustomization.yaml']);
    for (const path of kustomizations) {
      const kustomization = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      expect(kustomization).not.toHaveProperty('secretGenerator');
      expect(JSON.stringify(kustomization)).not.toMatch(/examples|secret\.example/);
    }
  });
});
