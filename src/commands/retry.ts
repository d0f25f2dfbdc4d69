// `flinkops retry <job-id> --redis URL`: re-queues a failed step job (the same BullMQ retry the queue
// UI's button calls). When the step then succeeds, the rest of its flow continues in order.

import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { EXIT_USAGE, setExitCode } from '../cli.ts';
import { redisOptionsFromUrl } from '../queue/connection.ts';
import { describeStep } from '../queue/events.ts';
import { STEPS_QUEUE, type StepJobData } from '../queue/types.ts';

interface RetryOptions {
  redis: string;
  queue: string;
}

export function registerRetryCommand(program: Command): void {
  program
    .command('retry')
    .description('re-run a failed step job; on success the rest of its transition continues')
    .argument(
      '<job-id>',
      'the step job id, e.g. 0123456789ab_team-a_orders_1_upgrade (shown in the queue UI)',
    )
    .option(
      '--redis <url>',
      'Redis holding the queue',
      process.env.FLINKOPS_REDIS_URL ?? 'redis://127.0.0.1:6379',
    )
    .option('--queue <name>', 'the steps queue', STEPS_QUEUE)
    .action(async (jobId: string, options: RetryOptions, command: Command) => {
      setExitCode(command, await retryStep(jobId, options));
    });
}

/** Fails fast with a readable error when Redis is not there (the queue classes would wait forever). */
async function checkReachable(url: string): Promise<void> {
  const probe = new Redis({
    ...redisOptionsFromUrl(url),
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    lazyConnect: true,
    connectTimeout: 5000,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`cannot reach Redis at ${new URL(url).host}: ${(err as Error).message}`);
  } finally {
    probe.disconnect();
  }
}

async function retryStep(jobId: string, options: RetryOptions): Promise<number> {
  let url: URL;
  try {
    url = new URL(options.redis);
  } catch {
    process.stderr.write(
      `flinkops retry: --redis ${options.redis}: not a URL (expected redis://host:port)\n`,
    );
    return EXIT_USAGE;
  }
  await checkReachable(url.href);
  const queue = new Queue<StepJobData>(options.queue, { connection: redisOptionsFromUrl(url.href) });
  queue.on('error', () => {});
  try {
    const job = await queue.getJob(jobId);
    if (!job)
      throw new Error(
        `no job "${jobId}" in queue ${options.queue} (completed jobs are removed after a while; check the id in the queue UI)`,
      );
    const state = await job.getState();
    if (state !== 'failed')
      throw new Error(`job ${jobId} is ${state}, not failed: only failed jobs can be retried`);
    const reason = job.failedReason;
    // a human retry gets a fresh set of automatic attempts for transient errors
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    const d = job.data;
    process.stdout.write(
      `re-queued ${jobId} (${d.namespace}/${d.name} ${describeStep(d)} of transition ${d.transitionId} @${d.commit.slice(0, 12)}); it had failed with: ${reason}\n`,
    );
    return 0;
  } finally {
    await queue.close();
  }
}
