import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';

/** An HTTP probe of a container, with the kubelet's defaults filled in. */
export interface HttpProbe {
  readonly path: string;
  readonly port: number;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** What the local pod needs of one container of the manifest. */
export interface ContainerSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly livenessProbe?: HttpProbe;
}

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where}: expected an object`);
  return value as Json;
}

function strings(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`${where}: expected a list of strings`);
  return value;
}

function probe(value: unknown, where: string): HttpProbe | undefined {
  if (value === undefined) return undefined;
  const p = object(value, where);
  if (p.httpGet === undefined) return undefined;
  const http = object(p.httpGet, `${where}.httpGet`);
  const num = (field: string, fallback: number): number => {
    const v = p[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number') throw new Error(`${where}.${field}: expected a number`);
    return v;
  };
  if (typeof http.port !== 'number') throw new Error(`${where}.httpGet.port: expected a port number`);
  return {
    path: typeof http.path === 'string' ? http.path : '/',
    port: http.port,
    initialDelaySeconds: num('initialDelaySeconds', 0),
    periodSeconds: num('periodSeconds', 10),
    timeoutSeconds: num('timeoutSeconds', 1),
    failureThreshold: num('failureThreshold', 3),
  };
}

/** The containers of the pod template of the first ReplicationController or Deployment in a manifest's text. */
export function parsePodManifest(text: string, source = 'manifest'): ContainerSpec[] {
  const docs = yaml
    .loadAll(text, undefined, { filename: source })
    .filter((d): d is Json => d !== null && typeof d === 'object');
  const workload = docs.find((d) => d.kind === 'ReplicationController' || d.kind === 'Deployment');
  if (workload === undefined) throw new Error(`${source}: no ReplicationController or Deployment found`);
  const template = object(object(workload.spec, `${source}: spec`).template, `${source}: spec.template`);
  const podSpec = object(template.spec, `${source}: spec.template.spec`);
  if (!Array.isArray(podSpec.containers)) throw new Error(`${source}: spec.template.spec.containers: expected a list`);
  return podSpec.containers.map((raw: unknown, i: number): ContainerSpec => {
    const where = `${source}: containers[${i}]`;
    const c = object(raw, where);
    if (typeof c.name !== 'string') throw new Error(`${where}.name: expected a string`);
    const env: Record<string, string> = {};
    if (Array.isArray(c.env)) {
      for (const e of c.env) {
        const entry = object(e, `${where}.env`);
        if (typeof entry.name === 'string' && typeof entry.value === 'string') env[entry.name] = entry.value;
      }
    }
    const liveness = probe(c.livenessProbe, `${where}.livenessProbe`);
    return {
      name: c.name,
      command: strings(c.command, `${where}.command`),
      args: strings(c.args, `${where}.args`),
      env,
      ...(liveness ? { livenessProbe: liveness } : {}),
    };
  });
}

/** Read and parse a pod manifest file. */
export async function loadPodManifest(path: string): Promise<ContainerSpec[]> {
  return parsePodManifest(await readFile(path, 'utf8'), path);
}
