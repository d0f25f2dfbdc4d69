// The producer side of durable execution: adds transitions as BullMQ flows, one deployment at a time
// (DeploymentLocks), hands a deployment to its next pending transition when the owner finishes, lets
// the caller supersede pending work or cancel a failed transition, and recovers after crashes (sweep).
import { type FlowJob, FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { childLogger } from '../log.ts';
import { deploymentKey } from '../manifests/types.ts';
import type { Plan, Transition } from '../plan/types.ts';
import { connectRedis, redisOptionsFromUrl } from './connection.ts';
import { DeploymentLocks, type TransitionRecord, type TransitionState } from './deployment-lock.ts';
import { TransitionEvents } from './events.ts';
import {
  type BuiltFlow,
  buildTransitionFlow,
  DEFAULT_STEP_JOB_POLICY,
  type StepJobPolicy,
  type TransitionJobInput,
} from './flow.ts';
import { FlowBatcher } from './flow-batcher.ts';
import { STEPS_QUEUE, type StepJobData } from './types.ts';

const log = childLogger({ module: 'queue' });

export interface TransitionQueueOptions {
  redisUrl: string;
  /** prefix of flinkops' own lock keys (BullMQ keeps its default "bull" prefix) */
  prefix?: string;
  queueName?: string;
  policy?: Partial<StepJobPolicy>;
  events?: TransitionEvents;
}

export interface EnqueueOptions {
  /** newest wins: pending transitions of the same deployment are dropped (state "superseded") */
  supersede?: boolean;
}

export interface EnqueueResult {
  transitionId: string | null;
  namespace: string;
  name: string;
  /** running: flow added now; pending: waits for the owner; known: enqueued before (no-op); empty: no steps */
  outcome: 'running' | 'pending' | 'known' | 'empty';
  state?: TransitionState;
  owner?: string;
  superseded: string[];
  jobIds: string[];
}

export interface StepJobView {
  jobId: string;
  action: string;
  state: string;
  failedReason?: string;
}

export interface DeploymentQueueStatus {
  deployment: string;
  running: (TransitionRecord & { steps: StepJobView[] }) | null;
  pending: TransitionRecord[];
}

/**
 * What a transition record keeps to add its flow later (when the deployment frees up, or in the sweep):
 * the input once, not the built flow, which repeats the manifests in every step's job data.
 */
interface StoredInput {
  input: TransitionJobInput;
}

function storedFlow(input: TransitionJobInput): string {
  return JSON.stringify({ input } satisfies StoredInput);
}

function jobIdsOfFlow(flow: FlowJob): string[] {
  const ids: string[] = [];
  let node: FlowJob | undefined = flow;
  while (node) {
    ids.unshift(String(node.opts?.jobId));
    node = node.children?.[0] as FlowJob | undefined;
  }
  return ids;
}

export class TransitionQueue {
  readonly redis: Redis;
  readonly locks: DeploymentLocks;
  readonly queue: Queue<StepJobData>;
  readonly flows: FlowProducer;
  private readonly batcher: FlowBatcher;
  readonly events: TransitionEvents;
  readonly policy: StepJobPolicy;
  readonly queueName: string;

  constructor(options: TransitionQueueOptions) {
    this.redis = connectRedis(options.redisUrl, { autoPipelining: true });
    this.redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error (reconnecting)'));
    this.locks = new DeploymentLocks(this.redis, options.prefix ?? 'flinkops');
    this.queueName = options.queueName ?? STEPS_QUEUE;
    const connection = redisOptionsFromUrl(options.redisUrl);
    this.queue = new Queue<StepJobData>(this.queueName, { connection });
    this.queue.on('error', (err) => log.debug({ err: err.message }, 'queue connection error'));
    this.flows = new FlowProducer({ connection });
    this.flows.on('error', (err) => log.debug({ err: err.message }, 'flow producer connection error'));
    this.batcher = new FlowBatcher(this.flows);
    this.events = options.events ?? new TransitionEvents();
    this.policy = { ...DEFAULT_STEP_JOB_POLICY, ...options.policy };
  }

  build(input: TransitionJobInput): BuiltFlow | null {
    return buildTransitionFlow(input, this.policy, this.queueName);
  }

  /**
   * Adds one transition: its flow runs now if the deployment is free, otherwise it waits in the
   * deployment's pending list. Enqueueing the same (commit, deployment) again adds nothing.
   */
  async enqueueTransition(input: TransitionJobInput, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const { namespace, name } = input.transition;
    const built = this.build(input);
    if (!built) return { transitionId: null, namespace, name, outcome: 'empty', superseded: [], jobIds: [] };
    const deployment = deploymentKey(namespace, name);
    const claim = await this.locks.claim({
      transitionId: built.transitionId,
      deployment,
      flow: storedFlow(input),
      lastJobId: built.lastJobId,
      commit: input.commit,
      supersede: options.supersede ?? false,
    });
    const base = { transitionId: built.transitionId, namespace, name, jobIds: built.jobIds };
    const info = {
      transitionId: built.transitionId,
      namespace,
      name,
      commit: input.commit,
      stepCount: built.jobIds.length,
    };
    if (claim.outcome === 'dispatch') {
      await this.addFlow(built.transitionId, built.flow);
      this.events.emit('transition-queued', { ...info, position: 'running', superseded: [] });
      return { ...base, outcome: 'running', state: 'running', superseded: [] };
    }
    if (claim.outcome === 'pending') {
      this.events.emit('transition-queued', {
        ...info,
        position: 'pending',
        owner: claim.owner,
        superseded: claim.superseded,
      });
      return {
        ...base,
        outcome: 'pending',
        state: 'pending',
        owner: claim.owner,
        superseded: claim.superseded,
      };
    }
    // Known: a crash between claiming and adding the flow left it unadded; adding is idempotent.
    if (claim.state === 'running' && !claim.added) await this.addFlow(built.transitionId, built.flow);
    return { ...base, outcome: 'known', state: claim.state, superseded: [] };
  }

  /** Enqueues every transition of a plan, in plan order. `resolve` supplies the manifests per transition. */
  async enqueuePlan(
    plan: Plan,
    resolve: (transition: Transition) => Omit<TransitionJobInput, 'commit' | 'transition'>,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult[]> {
    const results: EnqueueResult[] = [];
    for (const transition of plan.transitions) {
      results.push(
        await this.enqueueTransition({ ...resolve(transition), commit: plan.head, transition }, options),
      );
    }
    return results;
  }

  private async addFlow(transitionId: string, flow: FlowJob): Promise<void> {
    await this.batcher.add(flow);
    await this.locks.markAdded(transitionId);
    log.info({ transitionId }, 'transition flow added');
  }

  private async dispatch(transitionId: string): Promise<void> {
    const record = await this.locks.record(transitionId);
    if (!record) {
      log.error(
        { transitionId },
        'pending transition has no record; releasing its deployment is left to the sweep',
      );
      return;
    }
    await this.addFlow(transitionId, this.flowOf(record));
  }

  /** The BullMQ flow of a transition record (rebuilt from the stored input; older records hold the flow). */
  flowOf(record: TransitionRecord): FlowJob {
    const stored = JSON.parse(record.flow) as FlowJob | StoredInput;
    if (!('input' in stored)) return stored;
    const built = this.build(stored.input);
    if (!built || built.transitionId !== record.transitionId)
      throw new Error(`transition record ${record.transitionId} holds an input that builds another flow`);
    return built.flow;
  }

  /**
   * Called when a transition's last step completed (or its flow was removed): releases the deployment
   * and starts the next pending transition. Safe to call more than once and from several processes.
   */
  async finishTransition(
    transitionId: string,
    deployment: string,
    finalState: TransitionState = 'done',
  ): Promise<boolean> {
    const released = await this.locks.release(transitionId, deployment, finalState);
    if (released.outcome === 'not-owner') return false;
    if (released.outcome === 'dispatch') await this.dispatch(released.next);
    return true;
  }

  /**
   * Cancels a transition: a pending one leaves the pending list; a running one (typically failed,
   * waiting for a human) has its flow removed and the deployment passes to the next pending transition.
   * Refuses while one of its steps is active.
   */
  async cancel(transitionId: string): Promise<{ cancelled: boolean; state: TransitionState | null }> {
    const record = await this.locks.record(transitionId);
    if (!record) throw new Error(`no transition ${transitionId} in the queue (unknown or expired)`);
    if (record.state === 'pending') {
      const dropped = await this.locks.dropPending(transitionId, record.deployment);
      if (dropped) return { cancelled: true, state: 'cancelled' };
      return this.cancel(transitionId); // it was dispatched in between
    }
    if (record.state !== 'running' && record.state !== 'cancelling')
      return { cancelled: false, state: record.state };
    const steps = await this.stepViews(record);
    const active = steps.find((s) => s.state === 'active');
    if (active)
      throw new Error(
        `cannot cancel ${transitionId}: step ${active.jobId} is running; wait until it ends or fails`,
      );
    await this.locks.setState(transitionId, 'cancelling');
    const top = await this.queue.getJob(record.lastJobId);
    if (top) await top.remove({ removeChildren: true });
    await this.finishTransition(transitionId, record.deployment, 'cancelled');
    return { cancelled: true, state: 'cancelled' };
  }

  private async stepViews(record: TransitionRecord): Promise<StepJobView[]> {
    const ids = jobIdsOfFlow(this.flowOf(record));
    return Promise.all(
      ids.map(async (jobId) => {
        const job = await this.queue.getJob(jobId);
        const state = job ? await job.getState() : 'removed';
        return {
          jobId,
          action: job?.data.action ?? jobId.split('_').slice(-1)[0],
          state,
          ...(job?.failedReason ? { failedReason: job.failedReason } : {}),
        };
      }),
    );
  }

  /** What runs and what waits for one deployment. */
  async deploymentStatus(namespace: string, name: string): Promise<DeploymentQueueStatus> {
    const deployment = deploymentKey(namespace, name);
    const ownerId = await this.locks.owner(deployment);
    const ownerRecord = ownerId ? await this.locks.record(ownerId) : null;
    const pendingIds = await this.locks.pending(deployment);
    const pending = (await Promise.all(pendingIds.map((id) => this.locks.record(id)))).filter(
      (r): r is TransitionRecord => r !== null,
    );
    return {
      deployment,
      running: ownerRecord ? { ...ownerRecord, steps: await this.stepViews(ownerRecord) } : null,
      pending,
    };
  }

  /** Every deployment that has a running or pending transition. */
  async overview(): Promise<DeploymentQueueStatus[]> {
    const out: DeploymentQueueStatus[] = [];
    for (const deployment of await this.locks.deployments()) {
      const [namespace, name] = deployment.split('/');
      out.push(await this.deploymentStatus(namespace, name));
    }
    return out;
  }

  /**
   * Recovery after crashes: adds flows that were claimed but never added, releases deployments whose
   * owner's last step completed but whose release was lost, and starts pending transitions of free
   * deployments. Idempotent; any number of processes may run it at once. Returns what it repaired.
   */
  async sweep(): Promise<{ added: number; released: number; started: number }> {
    const repaired = { added: 0, released: 0, started: 0 };
    for (const deployment of await this.locks.deployments()) {
      const ownerId = await this.locks.owner(deployment);
      if (!ownerId) {
        const next = await this.locks.takeNext(deployment);
        if (next.outcome === 'dispatch') {
          await this.dispatch(next.next);
          repaired.started++;
        }
        continue;
      }
      const record = await this.locks.record(ownerId);
      if (!record) {
        // the owner's record is gone (expired or flushed): nothing can finish it, so free the deployment
        if (await this.finishTransition(ownerId, deployment, 'cancelled')) repaired.released++;
        continue;
      }
      if (!record.added) {
        await this.addFlow(ownerId, this.flowOf(record));
        repaired.added++;
        continue;
      }
      const state = await this.queue.getJobState(record.lastJobId);
      if (state === 'completed' || state === 'unknown') {
        const finalState = record.state === 'cancelling' ? 'cancelled' : 'done';
        if (await this.finishTransition(ownerId, deployment, finalState)) repaired.released++;
      }
    }
    if (repaired.added || repaired.released || repaired.started)
      log.info(repaired, 'queue recovery sweep repaired transitions');
    return repaired;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.queue.close(), this.flows.close()]);
    this.redis.disconnect();
  }
}
