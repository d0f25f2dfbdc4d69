// The GitOps loop's planning half: fetch the tracked branch, plan what changed since the last planned
// commit, hand transitions to the queue and say so on the commit. Rules (issue 5):
// - newest commit wins: one transition per deployment to the newest spec; older commits that touched
//   it get "superseded by <sha>";
// - per deployment, a failed or blocked transition is planned again (against the live object) when a
//   later commit touches it, or, for a delete, when a later commit brings the approval trailer;
// - a deployment whose transition still runs gets its newer change planned against the live object
//   once that transition ends;
// - a force-push or rewind (the last planned commit is no ancestor of head) and the very first poll
//   are planned against the live cluster objects, never against a commit that no longer exists.
import type { ClusterClient } from '../cluster/types.ts';
import { GitObjectReaderError } from '../git/blob-reader.ts';
import type { RepoMirror } from '../git/mirror.ts';
import { approvedDeletes } from '../git/trailers.ts';
import { newestPerDeployment } from '../ledger/note-format.ts';
import type { Ledger } from '../ledger/types.ts';
import { childLogger } from '../log.ts';
import { loadManifestsAtRevision } from '../manifests/load-at-revision.ts';
import type { LoadedManifests } from '../manifests/read-manifest-files.ts';
import { type FlinkDeployment, type ManifestError, splitDeploymentKey } from '../manifests/types.ts';
import { type GitRangeManifests, readGitRange } from '../plan/plan-git-range.ts';
import { planTransition } from '../plan/plan-transition.ts';
import type { LedgerSavepoint, Transition } from '../plan/types.ts';
import type { EnqueueResult, TransitionQueue } from '../queue/transition-queue.ts';
import { transitionStatus } from '../status/describe.ts';
import type { StatusReporter, StatusUpdate } from '../status/types.ts';
import { liveView } from './live-view.ts';
import type { DeploymentRecord, PollerState } from './poller-state.ts';
import { type PrPlanResult, planPullRequests } from './pr-plans.ts';

const log = childLogger({ component: 'poller' });

export interface PollerOptions {
  mirror: RepoMirror;
  state: PollerState;
  queue: TransitionQueue;
  reporter: StatusReporter;
  cluster: ClusterClient;
  ledger: Ledger;
  globs?: string[];
  defaultNamespace?: string;
  /** ref patterns of pull-request heads to plan (status flinkops/plan), e.g. refs/pull/*\/head */
  prRefPatterns?: string[];
  /** link shown with each status: the queue UI page of a step job (or of the queue when null) */
  targetUrl?: (jobId: string | null) => string | undefined;
}

export interface PlannedDeployment {
  key: string;
  transition: Transition;
  outcome: EnqueueResult['outcome'] | 'needs-approval' | 'waiting';
  transitionId: string | null;
}

export interface PollOutcome {
  head: string;
  /** none: nothing new; incremental: base..head; live: first poll or force-push, against live objects */
  mode: 'none' | 'incremental' | 'live';
  planned: PlannedDeployment[];
  /** deployments found already in step with head */
  inSync: string[];
  errors: ManifestError[];
  /** settles when this poll's commit statuses are written (pollOnce returns before that) */
  statusesWritten: Promise<void>;
  /** pull-request heads planned in this poll (status flinkops/plan) */
  pullRequests?: PrPlanResult[];
}

interface Candidate {
  key: string;
  namespace: string;
  name: string;
  before: FlinkDeployment | null;
  after: FlinkDeployment | null;
  live: boolean;
  approvals: ReadonlySet<string>;
  /** the commit this deployment's change is planned from (for superseded statuses) */
  base: string | null;
  /** repo paths of the deployment's manifest at base and head */
  paths: string[];
  /** the deployment's owner in the queue, when already asked for */
  owner?: Promise<string | null>;
}

export class Poller {
  /** status writes of the current poll: they run while later deployments are planned and enqueued */
  private reports: (() => Promise<void>)[] = [];

  constructor(private readonly options: PollerOptions) {}

  /** Queues a status write; every write is stamped now, so a later step status is never overwritten by it. */
  private report(commit: string, update: StatusUpdate): void {
    const stamped = { ...update, updatedAt: update.updatedAt ?? new Date().toISOString() };
    this.reports.push(() => this.options.reporter.report(commit, stamped));
  }

  private get sourceOptions() {
    return {
      globs: this.options.globs?.length ? this.options.globs : undefined,
      defaultNamespace: this.options.defaultNamespace,
    };
  }

  /**
   * One poll: fetch, plan, enqueue, report. Throws on fetch failure (the caller backs off). `mayPlan`
   * (the renewal of the poller lease) is awaited while the fetch runs: when it says no, nothing is
   * planned and the poll gives null.
   */
  async pollOnce(mayPlan?: Promise<boolean>): Promise<PollOutcome | null> {
    const { mirror, state } = this.options;
    this.pendingRead = null; // each poll reads anew (a failed read is not remembered)
    const t0 = performance.now();
    // Redis reads overlap the fetch
    const fetching = mirror.fetch();
    // the records to look at even when no commit touches them (all of them, and the set indexing those
    // rebuilt, on this replica's first poll with the lease)
    const indexed = this.attentionIndexed;
    const fetched = Promise.all([
      fetching,
      state.lastPlanned(),
      indexed ? state.deploymentsNeedingAttention() : state.reindex(),
    ]);
    fetched.catch(() => undefined); // awaited below, or dropped when this replica may not plan
    // whatever happens, the fetch is let finish before the poll ends: polls never run two fetches at
    // once in the mirror
    const settled = () =>
      fetching.then(
        () => undefined,
        () => undefined,
      );
    if (mayPlan) {
      const allowed = await mayPlan.catch(async (err: unknown) => {
        await settled();
        throw err;
      });
      if (!allowed) {
        await settled(); // a replica that may not plan does not report a fetch failure
        return null;
      }
    }
    const [head, last, records] = await fetched.catch(async (err: unknown) => {
      await settled();
      throw err;
    });
    this.attentionIndexed = true;
    const t1 = performance.now();
    let candidates: Candidate[];
    let mode: PollOutcome['mode'];
    let errors: ManifestError[] = [];
    if (last === head) {
      mode = 'none';
      candidates = await this.openCandidates(head, head, records, new Set());
    } else if (last && (await this.readIfAncestor(last, head))) {
      mode = 'incremental';
      void this.severalCommits(last, head); // started now, read when superseded statuses are due
      const read = (await this.readIfAncestor(last, head))!;
      errors = read.after.errors;
      candidates = await this.incrementalCandidates(last, head, read.before, read.after, records);
    } else {
      mode = 'live';
      if (last)
        log.warn(
          { last, head },
          'last planned commit is gone or not an ancestor of head (force-push?): planning against live objects',
        );
      const loaded = await loadManifestsAtRevision(mirror.dir, head, this.sourceOptions);
      errors = loaded.errors;
      const since = last && (await mirror.commitExists(last)) ? await mirror.mergeBase(last, head) : null;
      const approvals = await approvedDeletes(mirror.dir, since, head);
      // every deployment flinkops knows, not only those needing attention
      const all = indexed ? await state.deployments() : records;
      candidates = await this.liveCandidates(loaded, all, approvals, since);
    }
    for (const error of errors)
      log.warn({ file: error.file, line: error.line, column: error.column }, error.message);
    // the ledger matters only to creates (RESTORE_FROM_LEDGER): skip the read when nothing is created
    const ledger = candidates.some((c) => !c.before && c.after)
      ? await this.ledgerSnapshot()
      : new Map<string, LedgerSavepoint>();
    const outcome: PollOutcome = {
      head,
      mode,
      planned: [],
      inSync: [],
      errors,
      statusesWritten: Promise.resolve(),
    };
    const t2 = performance.now();
    this.reports = [];
    // different deployments: plan and enqueue them side by side (bounded)
    await forEachLimited(candidates, 8, async (candidate) => {
      await this.planCandidate(candidate, head, ledger, outcome).catch((err: unknown) => {
        log.error(
          { deployment: candidate.key, err: err instanceof Error ? err.message : String(err) },
          'planning a deployment failed; it is retried on the next poll',
        );
      });
    });
    outcome.planned.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    outcome.inSync.sort();
    const t3 = performance.now();
    // the statuses of this poll are written (and pushed) once everything is enqueued; the next poll
    // need not wait for them (the notes store folds concurrent writes into few pushes)
    const writes = this.reports;
    this.reports = [];
    const statusesWritten = Promise.allSettled(writes.map((write) => write())).then(() => undefined);
    log.debug(
      {
        head,
        mode,
        fetchMs: Math.round(t1 - t0),
        planMs: Math.round(t2 - t1),
        enqueueMs: Math.round(t3 - t2),
      },
      'poll timings',
    );
    outcome.statusesWritten = statusesWritten;
    await state.setLastPlanned(head);
    mirror.refreshObjectReader();
    if (this.options.prRefPatterns?.length) {
      outcome.pullRequests = await planPullRequests({
        mirror,
        state,
        reporter: this.options.reporter,
        patterns: this.options.prRefPatterns,
        trackedHead: head,
        ...this.sourceOptions,
        globs: this.options.globs,
      });
    }
    return outcome;
  }

  /** Deployments touched by last..head, plus the open ones (blocked deletes, waiting changes). */
  private async incrementalCandidates(
    last: string,
    head: string,
    before: LoadedManifests,
    after: LoadedManifests,
    records: Map<string, DeploymentRecord>,
  ): Promise<Candidate[]> {
    const { mirror, state, queue } = this.options;
    // invalid at base, valid or gone at head (a fix, or the removal of a broken manifest): what runs is
    // whatever was valid before, which the range cannot tell, so these are planned against the live object
    const baseInvalid = new Set(
      [...before.invalidKeys].filter((key) => !before.entries.has(key) && !after.invalidKeys.has(key)),
    );
    const keys = [...new Set([...before.entries.keys(), ...after.entries.keys(), ...baseInvalid])];
    // who owns each deployment in the queue, asked along with the records (planCandidate needs it)
    const owners = new Map(keys.map((key) => [key, queue.locks.owner(key)]));
    for (const owner of owners.values()) owner.catch(() => undefined); // awaited in planCandidate
    // approvals only matter for deletes; most commits have none, so the extra git process is skipped
    const hasDelete = [...before.entries.keys(), ...baseInvalid].some((key) => !after.entries.has(key));
    const [approvals, touchedRecords] = await Promise.all([
      hasDelete ? approvedDeletes(mirror.dir, last, head) : Promise.resolve(new Set<string>()),
      state.deploymentsOf(keys),
    ]);
    const headIncomplete = after.unreadableFiles.size > 0;
    const touched = new Set<string>();
    const out: Candidate[] = [];
    for (const key of keys) {
      if (after.invalidKeys.has(key)) continue;
      const was = before.entries.get(key) ?? null;
      const now = after.entries.get(key) ?? null;
      if (!now && headIncomplete) continue;
      touched.add(key);
      const record = touchedRecords.get(key) ?? {};
      const paths = [...new Set([was?.file, now?.file].filter((p): p is string => Boolean(p)))];
      const [namespace, name] = splitDeploymentKey(key);
      if (isOpen(record) || baseInvalid.has(key)) {
        // failed, blocked, waiting or invalid at base: plan from what really runs, with approvals since
        // it opened (or since it was last applied)
        const since = record.awaitingApproval?.since ?? record.applied ?? last;
        out.push(
          await this.liveCandidate(
            namespace,
            name,
            now?.manifest ?? null,
            await this.approvalsSince(since, head, approvals),
            since,
            paths,
          ),
        );
      } else {
        out.push({
          key,
          namespace,
          name,
          before: was?.manifest ?? null,
          after: now?.manifest ?? null,
          live: false,
          approvals,
          base: last,
          paths,
          owner: owners.get(key),
        });
      }
    }
    out.push(...(await this.openCandidates(last, head, records, touched)));
    return out;
  }

  /** Open deployments the new commits did not touch: approvals that arrived, transitions that ended. */
  private async openCandidates(
    last: string,
    head: string,
    records: Map<string, DeploymentRecord>,
    touched: ReadonlySet<string>,
  ): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const [key, record] of records) {
      if (touched.has(key)) continue;
      const [namespace, name] = splitDeploymentKey(key);
      if (record.awaitingApproval && last !== head) {
        const approvals = await approvedDeletes(this.options.mirror.dir, record.awaitingApproval.since, head);
        if (!approvals.has(key)) continue;
        const desired = await this.manifestAt(head, key);
        out.push(
          await this.liveCandidate(namespace, name, desired, approvals, record.awaitingApproval.since, []),
        );
      } else if (record.waitingFor) {
        const status = await this.options.queue.deploymentStatus(namespace, name);
        if (status.running) continue; // still busy: look again next poll
        const desired = await this.manifestAt(record.waitingFor.head, key);
        const approvals = await approvedDeletes(
          this.options.mirror.dir,
          record.applied ?? null,
          record.waitingFor.head,
        );
        out.push(await this.liveCandidate(namespace, name, desired, approvals, record.applied ?? null, []));
      }
    }
    return out;
  }

  /** First poll or force-push: every deployment at head and every deployment flinkops knows, against live. */
  private async liveCandidates(
    loaded: LoadedManifests,
    records: Map<string, DeploymentRecord>,
    approvals: ReadonlySet<string>,
    since: string | null,
  ): Promise<Candidate[]> {
    const out: Candidate[] = [];
    const keys = new Set([...loaded.entries.keys(), ...records.keys()]);
    for (const key of keys) {
      if (loaded.invalidKeys.has(key)) continue;
      if (!loaded.entries.has(key) && loaded.unreadableFiles.size > 0) continue;
      const entry = loaded.entries.get(key);
      const [namespace, name] = splitDeploymentKey(key);
      out.push(
        await this.liveCandidate(
          namespace,
          name,
          entry?.manifest ?? null,
          approvals,
          since,
          entry ? [entry.file] : [],
        ),
      );
    }
    return out;
  }

  private async liveCandidate(
    namespace: string,
    name: string,
    desired: FlinkDeployment | null,
    approvals: ReadonlySet<string>,
    base: string | null,
    paths: string[],
  ): Promise<Candidate> {
    const live = await this.options.cluster.get(namespace, name);
    const gone = !live || Boolean(live.metadata.deletionTimestamp);
    return {
      key: `${namespace}/${name}`,
      namespace,
      name,
      before: gone ? null : liveView(live, desired),
      after: desired,
      live: true,
      approvals,
      base,
      paths,
    };
  }

  private async planCandidate(
    candidate: Candidate,
    head: string,
    ledger: ReadonlyMap<string, LedgerSavepoint>,
    outcome: PollOutcome,
  ): Promise<void> {
    const { state, queue } = this.options;
    const { key, namespace, name } = candidate;
    const transition = planTransition(
      { namespace, name, before: candidate.before, after: candidate.after },
      { approvedDeletes: candidate.approvals, ledger, live: candidate.live },
    );
    if (!transition) {
      outcome.inSync.push(key);
      let carried: string[] = [];
      await state.updateDeployment(key, (r) => {
        carried = carriedCommits(r, head);
        return candidate.after || candidate.before ? { applied: head, desired: head } : null;
      });
      // in step with head: a delete that waited for approval (and was done by hand, or undone) is over
      for (const sha of carried) this.report(sha, transitionStatus.superseded(namespace, name, head));
      return;
    }
    const targetUrl = (id: string | null) => this.options.targetUrl?.(id);
    if (transition.safety === 'needs-approval') {
      this.report(head, transitionStatus.needsApproval(namespace, name, targetUrl(null)));
      await state.updateDeployment(key, (r) => ({
        ...r,
        desired: head,
        awaitingApproval: {
          since: r.awaitingApproval?.since ?? candidate.base ?? head,
          blocked: withCommit(r.awaitingApproval?.blocked, head),
        },
        waitingFor: undefined,
      }));
      outcome.planned.push({ key, transition, outcome: 'needs-approval', transitionId: null });
      return;
    }
    // one round trip for the common case (nobody owns the deployment); the full status only when busy
    const owned = (await (candidate.owner ?? queue.locks.owner(key))) !== null;
    const busy = owned ? await queue.deploymentStatus(namespace, name) : { running: null };
    if (busy.running) {
      const failedStep = busy.running.steps.find((s) => s.state === 'failed');
      if (failedStep && busy.running.commit !== head) {
        // a newer commit supersedes a transition that failed and waits for a human: drop it, plan anew
        await queue.cancel(busy.running.transitionId);
        this.report(busy.running.commit, transitionStatus.superseded(namespace, name, head, targetUrl(null)));
        return this.planCandidate(
          await this.liveCandidate(
            namespace,
            name,
            candidate.after,
            candidate.approvals,
            candidate.base,
            candidate.paths,
          ),
          head,
          ledger,
          outcome,
        );
      }
      if (busy.running.commit !== head) {
        await state.updateDeployment(key, (r) => ({
          ...r,
          desired: head,
          waitingFor: { head, transitionId: busy.running!.transitionId },
        }));
        this.report(head, {
          context: `flinkops/${namespace}/${name}`,
          state: 'pending',
          description: `waiting: transition of ${busy.running.commit.slice(0, 12)} still runs; planned against the live object when it ends`,
          targetUrl: targetUrl(busy.running.lastJobId),
        });
        outcome.planned.push({
          key,
          transition,
          outcome: 'waiting',
          transitionId: busy.running.transitionId,
        });
        return;
      }
    }
    const restoreWarning = transition.warnings.find((w) => w.code === 'RESTORE_FROM_LEDGER');
    // stamped before the flow exists: a worker's "step 1/n" status is always newer than "queued"
    const queuedAt = new Date().toISOString();
    const result = await queue.enqueueTransition(
      {
        commit: head,
        transition,
        target: candidate.after,
        previous: candidate.before ? stripStatus(candidate.before) : null,
        deleteApproved: candidate.approvals.has(key),
        restoreFrom: restoreWarning ? (ledger.get(key)?.path ?? null) : null,
      },
      { supersede: true },
    );
    if (result.outcome === 'running' || result.outcome === 'pending') {
      this.report(head, {
        ...transitionStatus.queued(
          namespace,
          name,
          transition.steps.map((s) => s.action),
          targetUrl(result.jobIds[0] ?? null),
        ),
        updatedAt: queuedAt,
      });
    }
    let carried: string[] = [];
    await state.updateDeployment(key, (r) => {
      carried = carriedCommits(r, head);
      // the commits blocked for approval are superseded once this transition succeeds (status bridge)
      const supersedes =
        carried.length && result.transitionId
          ? { supersedes: { transitionId: result.transitionId, commits: carried } }
          : {};
      return { applied: r.applied, desired: head, ...supersedes };
    });
    if (!result.transitionId)
      for (const sha of carried) this.report(sha, transitionStatus.superseded(namespace, name, head));
    await this.reportSuperseded(candidate, head);
    outcome.planned.push({ key, transition, outcome: result.outcome, transitionId: result.transitionId });
  }

  /** Commits between the deployment's base and head that touched its manifest, head excluded. */
  private async reportSuperseded(candidate: Candidate, head: string): Promise<void> {
    if (!candidate.base || candidate.paths.length === 0) return;
    if (!(await this.severalCommits(candidate.base, head))) return; // head is the only commit: nothing skipped
    const raw = await this.options.mirror
      .repoGit()
      .raw(['log', '--format=%H', `${candidate.base}..${head}`, '--', ...candidate.paths]);
    for (const sha of raw.split('\n').filter(Boolean)) {
      if (sha === head) continue;
      this.report(sha, transitionStatus.superseded(candidate.namespace, candidate.name, head));
    }
  }

  private readonly commitCounts = new Map<string, Promise<boolean>>();
  private pendingRead: { range: string; read: Promise<GitRangeManifests | null> } | null = null;

  /**
   * The manifests changed in last..head when last is an ancestor of head, else null. The ancestry check
   * and the read run side by side (the read is wasted only after a force-push).
   */
  private readIfAncestor(last: string, head: string): Promise<GitRangeManifests | null> {
    const range = `${last}..${head}`;
    if (this.pendingRead?.range !== range) {
      // both through the mirror's open cat-file process (the ancestry check asks git only when the last
      // planned commit is not a parent of head)
      const ancestor = this.options.mirror.isAncestor(last, head);
      const read = this.readRange(last, head);
      read.catch(() => undefined); // a rewound range fails to read; that outcome is only used for ancestors
      this.pendingRead = { range, read: ancestor.then((yes) => (yes ? read : null)) };
    }
    return this.pendingRead.read;
  }

  /** The changed manifests of base..head; once more with a new cat-file process if the open one failed. */
  private async readRange(base: string, head: string): Promise<GitRangeManifests> {
    const { mirror } = this.options;
    const options = { repoDir: mirror.dir, base, head, ...this.sourceOptions };
    try {
      return await readGitRange({ ...options, reader: mirror.objectReader() });
    } catch (err) {
      if (!(err instanceof GitObjectReaderError)) throw err;
      log.warn({ err: err.message }, 'git cat-file failed; reading again with a new one');
      mirror.close();
      return readGitRange({ ...options, reader: mirror.objectReader() });
    }
  }

  /** Whether the set of records needing attention is known to be complete (see PollerState.reindex). */
  private attentionIndexed = false;

  /** The next poll reads every record and rebuilds that set (run.ts: after this replica takes the lease). */
  reindexOnNextPoll(): void {
    this.attentionIndexed = false;
  }

  /** Whether base..head holds more than one commit (memoised per range). */
  private severalCommits(base: string, head: string): Promise<boolean> {
    const key = `${base}..${head}`;
    let known = this.commitCounts.get(key);
    if (!known) {
      const { mirror } = this.options;
      known = mirror
        .parents(head)
        .then(async (parents) => {
          // head's only parent is base: the range is head alone (the usual push), no process needed
          if (parents?.length === 1 && parents[0] === base) return false;
          const n = await mirror.repoGit().raw(['rev-list', '--count', key]);
          return Number(n.trim()) > 1;
        })
        .catch(() => true);
      if (this.commitCounts.size > 100) this.commitCounts.clear();
      this.commitCounts.set(key, known);
    }
    return known;
  }

  private async approvalsSince(
    since: string | null,
    head: string,
    fallback: ReadonlySet<string>,
  ): Promise<ReadonlySet<string>> {
    if (!since || !(await this.options.mirror.commitExists(since))) return fallback;
    return approvedDeletes(this.options.mirror.dir, since, head);
  }

  /**
   * Every invalid manifest of the whole tree at `revision` (a poll reports only those of the files it
   * read: the changed ones, or none when nothing is new), as `flinkops plan` would report them.
   */
  async manifestErrorsAt(revision: string): Promise<ManifestError[]> {
    return (await loadManifestsAtRevision(this.options.mirror.dir, revision, this.sourceOptions)).errors;
  }

  private async manifestAt(revision: string, key: string): Promise<FlinkDeployment | null> {
    const loaded = await loadManifestsAtRevision(this.options.mirror.dir, revision, this.sourceOptions);
    return loaded.entries.get(key)?.manifest ?? null;
  }

  private async ledgerSnapshot(): Promise<Map<string, LedgerSavepoint>> {
    return newestPerDeployment(await this.options.ledger.list());
  }
}

/** At most this many blocked commits are remembered per deployment (the newest win). */
const MAX_BLOCKED = 20;

function withCommit(commits: readonly string[] | undefined, sha: string): string[] {
  return [...(commits ?? []).filter((c) => c !== sha), sha].slice(-MAX_BLOCKED);
}

/**
 * Commits whose status says "needs approval" for this deployment (or that an earlier, unfinished
 * transition was to supersede), head excluded: a transition to head now carries their change.
 */
function carriedCommits(record: DeploymentRecord, head: string): string[] {
  const all = [...(record.supersedes?.commits ?? []), ...(record.awaitingApproval?.blocked ?? [])];
  return [...new Set(all)].filter((c) => c !== head).slice(-MAX_BLOCKED);
}

function isOpen(record: DeploymentRecord): boolean {
  return Boolean(record.awaitingApproval || record.waitingFor || record.failed);
}

function stripStatus(obj: FlinkDeployment): FlinkDeployment {
  const { status: _status, ...rest } = obj;
  return rest as FlinkDeployment;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
