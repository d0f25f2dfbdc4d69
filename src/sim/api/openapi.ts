// OpenAPI v3 documents for the served group, as the API server publishes them for CRDs. kubectl needs them:
// `apply` refuses to run without an OpenAPI document, and when the PATCH operation of a kind lists the
// `fieldValidation` parameter it leaves validation to the server (fieldValidation=Strict) instead of
// validating client-side against /openapi/v2 (which is protobuf-only and not served here).
import { createHash } from 'node:crypto';
import { FLINK_GROUP, FLINK_VERSION, type ResourceDef, resourceDefs } from './resources.ts';

const GROUP_VERSION_PATH = `apis/${FLINK_GROUP}/${FLINK_VERSION}`;

/** org.apache.flink.v1beta1.FlinkDeployment: the reversed-group naming the API server uses for CRD schemas. */
function schemaName(def: ResourceDef): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

function gvk(def: ResourceDef) {
  return { group: def.group, version: def.version, kind: def.kind };
}

const jsonContent = (ref: string) => ({
  'application/json': { schema: { $ref: ref } },
  'application/yaml': { schema: { $ref: ref } },
});

const param = (name: string, type = 'string') => ({ name, in: 'query', schema: { type, uniqueItems: true } });
const WRITE_PARAMS = [param('dryRun'), param('fieldManager'), param('fieldValidation')];

function pathsOf(def: ResourceDef): Record<string, unknown> {
  const ref = `#/components/schemas/${schemaName(def)}`;
  const ext = (action: string) => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(def),
  });
  const ok = { '200': { description: 'OK', content: jsonContent(ref) } };
  const item = {
    parameters: [
      { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      { name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
    ],
    get: { operationId: `read${def.kind}`, responses: ok, ...ext('get') },
    put: {
      operationId: `replace${def.kind}`,
      parameters: WRITE_PARAMS,
      requestBody: { content: jsonContent(ref) },
      responses: ok,
      ...ext('put'),
    },
    patch: {
      operationId: `patch${def.kind}`,
      parameters: [...WRITE_PARAMS, param('force', 'boolean')],
      // no strategic-merge-patch: custom resources do not support it, and kubectl checks this list
      requestBody: {
        content: {
          'application/apply-patch+yaml': { schema: { type: 'object' } },
          'application/json-patch+json': { schema: { type: 'object' } },
          'application/merge-patch+json': { schema: { type: 'object' } },
        },
      },
      responses: ok,
      ...ext('patch'),
    },
    delete: {
      operationId: `delete${def.kind}`,
      responses: { '200': { description: 'OK' } },
      ...ext('delete'),
    },
  };
  const collection = {
    parameters: [
      { name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
    ],
    get: { operationId: `list${def.kind}`, responses: { '200': { description: 'OK' } }, ...ext('list') },
    post: {
      operationId: `create${def.kind}`,
      parameters: WRITE_PARAMS,
      requestBody: { content: jsonContent(ref) },
      responses: { '201': { description: 'Created', content: jsonContent(ref) } },
      ...ext('post'),
    },
  };
  const base = `/${GROUP_VERSION_PATH}/namespaces/{namespace}/${def.resource}`;
  const out: Record<string, unknown> = { [base]: collection, [`${base}/{name}`]: item };
  if (def.status) out[`${base}/{name}/status`] = { ...item, delete: undefined };
  return out;
}

function componentOf(def: ResourceDef): Record<string, unknown> {
  const schema = structuredClone(def.schema ?? { type: 'object' }) as {
    properties?: Record<string, unknown>;
  };
  return {
    ...schema,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: {
        type: 'string',
        description: 'Kind is a string value representing the REST resource this object represents.',
      },
      metadata: { type: 'object', description: "Standard object's metadata." },
      ...(schema.properties ?? {}),
    },
    'x-kubernetes-group-version-kind': [gvk(def)],
  };
}

let groupDocument: { text: string; hash: string } | undefined;

function groupDoc(): { text: string; hash: string } {
  if (!groupDocument) {
    const defs = resourceDefs().filter((d) => d.group === FLINK_GROUP);
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
      paths: Object.assign({}, ...defs.map(pathsOf)),
      components: { schemas: Object.fromEntries(defs.map((d) => [schemaName(d), componentOf(d)])) },
    };
    const text = JSON.stringify(doc);
    groupDocument = { text, hash: createHash('sha512').update(text).digest('hex').toUpperCase() };
  }
  return groupDocument;
}

/** GET /openapi/v3 */
export function openApiRoot() {
  return {
    paths: {
      [GROUP_VERSION_PATH]: {
        serverRelativeURL: `/openapi/v3/${GROUP_VERSION_PATH}?hash=${groupDoc().hash}`,
      },
    },
  };
}

/** GET /openapi/v3/apis/flink.apache.org/v1beta1 as JSON text, or undefined for any other group version */
export function openApiGroupVersion(path: string): string | undefined {
  return path === `/openapi/v3/${GROUP_VERSION_PATH}` ? groupDoc().text : undefined;
}
