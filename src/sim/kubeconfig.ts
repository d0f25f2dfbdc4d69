// A kubeconfig for the embedded cluster that kubectl and @kubernetes/client-node load as is. The API has no
// auth; the dummy token only satisfies clients that insist on a user with credentials.
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  /** context, cluster and user name (default flinkops-sim) */
  name?: string;
  namespace?: string;
}

export function buildKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'flinkops-sim';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    // @kubernetes/client-node 1.x refuses plain-HTTP servers unless TLS verification is marked as skipped;
    // kubectl ignores the flag for http:// servers.
    clusters: [{ name, cluster: { server: options.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: 'flinkops-sim-no-auth' } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
  });
}
