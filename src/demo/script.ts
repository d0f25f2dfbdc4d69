// The chapters of `flinkops demo`: deploy two jobs, upgrade one through a savepoint, suspend and resume
// the other, delete one (blocked, then approved), re-create it from the ledger, and recover from a
// failed savepoint with a retry. Each chapter checks what the product promises.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../ledger/types.ts';
import type { Story, StoryWorld } from './story.ts';

const NS = 'streaming';
const ORDERS = 'orders-enricher';
const CLICKS = 'clickstream-sessions';

export async function runStory(
  story: Story,
  world: StoryWorld,
  examplesDir: string,
  ledger: Ledger,
): Promise<boolean> {
  const print = world.print;
  const ordersFile = `jobs/${ORDERS}.yaml`;
  const ordersManifest = readFileSync(join(examplesDir, `${ORDERS}.yaml`), 'utf8');
  story.restoreFile(ordersFile, ordersManifest);
  story.restoreFile(`jobs/${CLICKS}.yaml`, readFileSync(join(examplesDir, `${CLICKS}.yaml`), 'utf8'));

  await story.chapter(
    '1. Deploy two jobs',
    'Deploy orders-enricher (savepoint upgrades) and clickstream-sessions (last-state)',
    { [`${NS}/${ORDERS}`]: 'success', [`${NS}/${CLICKS}`]: 'success' },
    async () => {
      await story.waitForOffset(NS, ORDERS, 1);
      print(`  ${story.describeJob(NS, ORDERS)}`);
      print(`  ${story.describeJob(NS, CLICKS)}`);
      return story.job(NS, ORDERS)?.running && story.job(NS, CLICKS)?.running
        ? []
        : ['both jobs should be running'];
    },
  );

  await story.waitForOffset(NS, ORDERS, 500);
  const beforeUpgrade = story.job(NS, ORDERS)?.offset ?? 0;
  story.editManifest(ordersFile, (doc) => doc.setIn(['spec', 'image'], 'flink:1.20.1'));
  await story.chapter(
    '2. Bump the image of orders-enricher: savepoint-suspend, upgrade, resume',
    'orders-enricher: flink 1.20.1',
    { [`${NS}/${ORDERS}`]: 'success' },
    async () => {
      const job = story.job(NS, ORDERS);
      print(`  offset before the upgrade: ${beforeUpgrade}`);
      print(`  ${story.describeJob(NS, ORDERS)}`);
      const problems: string[] = [];
      if (job?.restoredFrom.kind !== 'savepoint')
        problems.push('orders-enricher should restore from its upgrade savepoint');
      if (job?.restoredFrom.mode !== 'CLAIM') problems.push('a resume restores in CLAIM mode');
      if ((job?.restoredFrom.offset ?? -1) < beforeUpgrade)
        problems.push(`offset went back: ${job?.restoredFrom.offset} < ${beforeUpgrade}`);
      if (!problems.length)
        print(
          `  ✓ nothing lost: restored at offset ${job?.restoredFrom.offset} (≥ ${beforeUpgrade} before the upgrade)`,
        );
      return problems;
    },
  );

  const clicksFile = `jobs/${CLICKS}.yaml`;
  story.editManifest(clicksFile, (doc) => doc.setIn(['spec', 'job', 'state'], 'suspended'));
  await story.chapter(
    '3. Suspend clickstream-sessions',
    'clickstream-sessions: suspend for maintenance',
    { [`${NS}/${CLICKS}`]: 'success' },
    async () => {
      print(`  ${story.describeJob(NS, CLICKS)}`);
      return story.job(NS, CLICKS)?.running ? ['clickstream-sessions should be stopped'] : [];
    },
  );
  story.editManifest(clicksFile, (doc) => doc.setIn(['spec', 'job', 'state'], 'running'));
  await story.chapter(
    '4. Resume clickstream-sessions',
    'clickstream-sessions: resume',
    { [`${NS}/${CLICKS}`]: 'success' },
    async () => {
      const job = story.job(NS, CLICKS);
      print(`  ${story.describeJob(NS, CLICKS)}`);
      const problems: string[] = [];
      if (!job?.running) problems.push('clickstream-sessions should run again');
      if (job && job.restoredFrom.kind === 'none')
        problems.push('a resume must restore state, not start empty');
      return problems;
    },
  );

  story.removeFile(ordersFile);
  await story.chapter(
    '5. Delete orders-enricher without approval',
    'Retire orders-enricher',
    { [`${NS}/${ORDERS}`]: 'failure' },
    async () => {
      const live = await world.cluster.get(NS, ORDERS);
      print(
        `  ${live ? '✓ still running: a delete needs the trailer Flinkops-Approve-Delete' : '✗ deleted!'}`,
      );
      return live ? [] : ['nothing may be deleted without approval'];
    },
  );
  const offsetBeforeDelete = story.job(NS, ORDERS)?.offset ?? 0;
  await story.chapter(
    '6. Approve the delete: final savepoint, ledger, delete',
    `Approve retiring orders-enricher\n\nFlinkops-Approve-Delete: ${NS}/${ORDERS}`,
    { [`${NS}/${ORDERS}`]: 'success' },
    async () => {
      const problems: string[] = [];
      if (await world.cluster.get(NS, ORDERS)) problems.push('orders-enricher should be gone');
      const newest = await ledger.newest(NS, ORDERS);
      if (newest?.step !== 'guarded-delete') problems.push('the final savepoint should be in the ledger');
      else print(`  ✓ ledger: ${newest.path} (${newest.step}, commit ${newest.commit.slice(0, 12)})`);
      return problems;
    },
  );

  story.restoreFile(ordersFile, readFileSync(join(examplesDir, `${ORDERS}.yaml`), 'utf8'));
  story.editManifest(ordersFile, (doc) => doc.setIn(['spec', 'image'], 'flink:1.20.1'));
  await story.chapter(
    '7. Re-create orders-enricher: restored from the ledger',
    'Bring orders-enricher back',
    { [`${NS}/${ORDERS}`]: 'success' },
    async () => {
      const job = story.job(NS, ORDERS);
      const newest = await ledger.newest(NS, ORDERS);
      print(`  ${story.describeJob(NS, ORDERS)}`);
      const problems: string[] = [];
      if (job?.restoredFrom.kind !== 'savepoint' || job.restoredFrom.path !== newest?.path)
        problems.push(`should restore from the ledger savepoint ${newest?.path}`);
      if (job?.restoredFrom.mode !== 'NO_CLAIM') problems.push('a new deployment restores in NO_CLAIM mode');
      if ((job?.restoredFrom.offset ?? -1) < offsetBeforeDelete)
        problems.push(`state lost across delete: ${job?.restoredFrom.offset} < ${offsetBeforeDelete}`);
      if (!problems.length)
        print(
          `  ✓ state carried across delete + re-create: offset ${job?.restoredFrom.offset} (≥ ${offsetBeforeDelete})`,
        );
      return problems;
    },
  );

  await story.waitForOffset(NS, ORDERS, (story.job(NS, ORDERS)?.offset ?? 0) + 1);
  print('');
  print('━━ 8. A savepoint that fails, then a retry');
  await story.setAnnotation(NS, ORDERS, 'sim.flinkops.io/savepoint', 'fail');
  print(
    '  injected a savepoint failure into the simulated operator (annotation sim.flinkops.io/savepoint: fail)',
  );
  story.editManifest(ordersFile, (doc) => doc.setIn(['spec', 'image'], 'flink:1.20.2'));
  const failing = await story.chapter(
    '8a. Bump the image while savepoints fail',
    'orders-enricher: flink 1.20.2',
    { [`${NS}/${ORDERS}`]: 'failure' },
    async () => {
      const live = await world.cluster.get(NS, ORDERS);
      print(`  ✓ the job keeps running on its old image: ${live?.spec.image}`);
      return live?.spec.image === 'flink:1.20.1'
        ? []
        : ['the failed savepoint must leave the old spec running'];
    },
  );
  const failedJob = (await world.flinkops.queue.queue.getFailed()).find(
    (j) => j.data.commit === failing && j.data.name === ORDERS,
  );
  if (world.uiUrl && failedJob)
    print(
      `  the failed step in the UI: ${world.uiUrl}queue/flinkops-steps/${encodeURIComponent(failedJob.id ?? '')}`,
    );
  await story.setAnnotation(NS, ORDERS, 'sim.flinkops.io/savepoint', null);
  print("  cleared the fault; retrying the failed step (what the UI's Retry button does)");
  const retried = failedJob ? await story.retryFailed(failedJob.data.transitionId) : null;
  const problems = retried
    ? await story.waitForStatuses(failing, { [`${NS}/${ORDERS}`]: 'success' }, 'expected')
    : ['no failed step to retry'];
  const recovered = story.job(NS, ORDERS);
  print(`  ${story.describeJob(NS, ORDERS)}`);
  if (recovered?.restoredFrom.kind !== 'savepoint' || recovered.restoredFrom.mode !== 'CLAIM')
    problems.push('after the retry the job should resume from its upgrade savepoint (CLAIM)');
  story.results.push({
    title: '8b. Retry after clearing the fault',
    commit: failing,
    ok: problems.length === 0,
    problems,
  });
  return story.summary();
}
