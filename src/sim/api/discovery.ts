// The discovery documents, in the legacy (unaggregated) form every client understands. kubectl 1.32 asks
// for the aggregated form first (Accept: ...;as=APIGroupDiscoveryList) and falls back to these when the
// answer is plain JSON, as with any API server that predates aggregated discovery.
import { apiVersionOf, FLINK_GROUP, FLINK_VERSION, type ResourceDef, resourceDefs } from './resources.ts';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-flinkops-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const ALL_VERBS = ['delete', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupVersion() {
  return { groupVersion: `${FLINK_GROUP}/${FLINK_VERSION}`, version: FLINK_VERSION };
}

export function apiGroup() {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: FLINK_GROUP,
    versions: [groupVersion()],
    preferredVersion: groupVersion(),
  };
}

export function apiGroupList() {
  const { kind: _kind, apiVersion: _apiVersion, ...group } = apiGroup();
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
}

function resourceEntries(def: ResourceDef) {
  const main = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.group ? ALL_VERBS : ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
    storageVersionHash: Buffer.from(`${def.group}/${def.version}/${def.kind}`)
      .toString('base64')
      .slice(0, 11),
  };
  if (!def.status) return [main];
  return [
    main,
    {
      name: `${def.resource}/status`,
      singularName: '',
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: ['get', 'patch', 'update'],
    },
  ];
}

export function apiResourceList(groupVersionText: string) {
  const defs = resourceDefs().filter((d) => apiVersionOf(d) === groupVersionText);
  const resources: Record<string, unknown>[] = defs.flatMap(resourceEntries);
  if (groupVersionText === 'v1') {
    resources.push({
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['create', 'delete', 'get', 'list'],
      shortNames: ['ns'],
      storageVersionHash: 'Q3oi5N2YM8M=',
    });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionText, resources };
}
