// startEmbeddedCluster: the object store, the operator simulator and the HTTP API in one handle, for tests,
// `flinkops sim` and the demo. With statePath it restores objects and storage on start and saves them on an
// interval and at stop.
import { writeFileSync } from 'node:fs';
import { childLogger } from '../log.ts';
import { FaultInjector } from './api/faults.ts';
import { EmbeddedApiServer } from './api/server.ts';
import { buildKubeconfig } from './kubeconfig.ts';
import { OperatorSimulator } from './operator/index.ts';
import { readStateFile, writeStateFile } from './persistence.ts';
import { ObjectStore } from './store.ts';
import type { ApiFaults, EmbeddedClusterOptions, JobTruth, SimTruth, StoredSnapshot } from './types.ts';

const log = childLogger({ component: 'sim-cluster' });

export interface StartClusterOptions extends EmbeddedClusterOptions {
  /** false = the API only (truth endpoints answer 404 / empty storage); default: the operator simulator */
  simulator?: false;
  /** how often --state is saved while running (default 5 s) */
  saveIntervalMs?: number;
  /** initial API faults */
  apiFaults?: ApiFaults;
  /** BOOKMARK interval for watches that allow them (default 10 s) */
  bookmarkIntervalMs?: number;
}

export interface EmbeddedCluster {
  /** http://127.0.0.1:<port> */
  url: string;
  /** kubeconfig YAML text for kubectl / @kubernetes/client-node */
  kubeconfig: string;
  kubeconfigPath?: string;
  store: ObjectStore;
  /** null when started with simulator: false */
  simulator: OperatorSimulator | null;
  setApiFaults(faults: ApiFaults): ApiFaults;
  /** saves --state now (no-op without statePath) */
  save(): void;
  /** stops the simulator and the API, saves --state; safe to call twice */
  stop(): Promise<void>;
}

const NO_TRUTH: SimTruth = {
  getJob: (): JobTruth | undefined => undefined,
  listStorage: (): StoredSnapshot[] => [],
};

export async function startEmbeddedCluster(options: StartClusterOptions = {}): Promise<EmbeddedCluster> {
  const host = options.host ?? '127.0.0.1';
  const store = new ObjectStore();
  const state = options.statePath ? readStateFile(options.statePath) : undefined;
  if (state) store.restore(state.store);

  const simulator =
    options.simulator === false ? null : new OperatorSimulator({ store, speed: options.speed ?? 1 });
  if (simulator && state?.simulator !== undefined && state.simulator !== null)
    simulator.restore(state.simulator);

  const faults = new FaultInjector();
  if (options.apiFaults) faults.set(options.apiFaults);
  const api = await EmbeddedApiServer.start({
    store,
    truth: simulator ?? NO_TRUTH,
    host,
    port: options.port ?? 0,
    faults,
    bookmarkIntervalMs: options.bookmarkIntervalMs,
  });
  const kubeconfig = buildKubeconfig({ server: api.url });
  if (options.kubeconfigOut) writeFileSync(options.kubeconfigOut, kubeconfig, { mode: 0o600 });
  simulator?.start();

  const save = () => {
    if (!options.statePath) return;
    writeStateFile(options.statePath, { store: store.snapshot(), simulator: simulator?.snapshot() ?? null });
  };
  const saver = options.statePath
    ? setInterval(() => {
        try {
          save();
        } catch (err) {
          log.error({ err, statePath: options.statePath }, 'could not save sim state');
        }
      }, options.saveIntervalMs ?? 5_000)
    : undefined;
  saver?.unref();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (saver) clearInterval(saver);
      await simulator?.stop();
      await api.close();
      save();
      log.info({ url: api.url }, 'embedded cluster stopped');
    })();
    return stopping;
  };

  log.info(
    { url: api.url, restored: state !== undefined, simulator: simulator !== null },
    'embedded cluster started',
  );
  return {
    url: api.url,
    kubeconfig,
    kubeconfigPath: options.kubeconfigOut,
    store,
    simulator,
    setApiFaults: (f) => faults.set(f),
    save,
    stop,
  };
}
