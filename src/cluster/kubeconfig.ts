// Where the cluster's address and credentials come from: a kubeconfig file, the pod's service account
// (in-cluster), or the usual default chain ($KUBECONFIG, ~/.kube/config, in-cluster). Nothing else in
// src/cluster knows which one was used.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './types.ts';

export interface KubeConfigSource {
  /** a kubeconfig file (as kubectl --kubeconfig) */
  kubeconfigPath?: string;
  /** kubeconfig YAML text (e.g. what the embedded cluster returns) */
  kubeconfigText?: string;
  /** use the pod's service account (KUBERNETES_SERVICE_HOST/PORT, token and CA files) */
  inCluster?: boolean;
  /** context name to use instead of the file's current-context */
  context?: string;
}

export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.inCluster) {
      assertInClusterEnvironment();
      kc.loadFromCluster();
    } else if (source.kubeconfigText !== undefined) kc.loadFromString(source.kubeconfigText);
    else if (source.kubeconfigPath) kc.loadFromFile(source.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (err) {
    const where = source.inCluster
      ? 'in-cluster service account'
      : source.kubeconfigPath
        ? `kubeconfig ${source.kubeconfigPath}`
        : source.kubeconfigText !== undefined
          ? 'kubeconfig text'
          : 'default kubeconfig';
    throw new ClusterError('Invalid', `cannot load ${where}: ${(err as Error).message}`, { cause: err });
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ClusterError(
        'Invalid',
        `kubeconfig has no context "${source.context}" (known: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(source.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ClusterError('Invalid', `kubeconfig has no cluster for context "${kc.getCurrentContext()}"`);
  }
  return allowPlainHttp(kc);
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** client-node's loadFromCluster does not check its inputs: without them it targets https://undefined:undefined. */
function assertInClusterEnvironment(): void {
  const missing = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'].filter((v) => !process.env[v]);
  if (!existsSync(SERVICE_ACCOUNT_TOKEN)) missing.push(SERVICE_ACCOUNT_TOKEN);
  if (missing.length > 0) {
    throw new Error(`not running in a pod with a service account (missing ${missing.join(', ')})`);
  }
}

/**
 * client-node 1.x refuses an http:// server unless the kubeconfig also says insecure-skip-tls-verify,
 * while kubectl accepts the same kubeconfig as is. There is no TLS to verify on plain HTTP, so the flag
 * changes nothing else: set it for http:// clusters so one kubeconfig works for both.
 */
function allowPlainHttp(kc: KubeConfig): KubeConfig {
  if (!kc.clusters.some((c) => c.server.startsWith('http://') && !c.skipTLSVerify)) return kc;
  const fixed = new KubeConfig();
  fixed.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.server.startsWith('http://') ? { ...c, skipTLSVerify: true } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  });
  return fixed;
}
