// Bull Board at /queues: the steps queue with each job's name, progress, logs and flow, and the
// Retry button that continues a flow (a retried child releases its waiting parent; see
// stack-notes.md section 1). Bull Board's base path and the Fastify prefix must be the same string,
// or the UI's assets 404.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BoardHooks } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export const QUEUE_UI_PREFIX = '/queues';

export interface QueueBoardOptions {
  queues: Queue[];
  readOnly: boolean;
}

/**
 * Bull Board's API retries completed jobs whenever asked (its allowCompletedRetries flag only hides
 * the button). Re-running a finished lifecycle step out of order (a resume after a later suspend, a
 * delete) is never what a person means, so the server refuses it whatever the client.
 */
export function refuseCompletedRetries(queues: Queue[]): BoardHooks {
  const byName = new Map(queues.map((queue) => [queue.name, queue]));
  return {
    before: async ({ method, route, request }) => {
      if (method !== 'put') return;
      const queueName = String(request.params.queueName ?? '');
      if (
        route === '/api/queues/:queueName/retry/:queueStatus' &&
        request.params.queueStatus === 'completed'
      ) {
        return {
          allow: false,
          status: 409,
          errorKey: 'ERRORS.FORBIDDEN',
          message: 'completed steps are not re-run',
        };
      }
      if (route !== '/api/queues/:queueName/:jobId/retry') return;
      const queue = byName.get(queueName);
      const jobId = String(request.params.jobId ?? '');
      if (queue && (await queue.getJobState(jobId)) === 'completed') {
        return {
          allow: false,
          status: 409,
          errorKey: 'ERRORS.FORBIDDEN',
          message: `job ${jobId} completed; completed steps are not re-run (push a new commit instead)`,
        };
      }
    },
  };
}

export async function queueBoard(app: FastifyInstance, options: QueueBoardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PREFIX);
  const adapterOptions = {
    readOnlyMode: options.readOnly,
    allowRetries: !options.readOnly,
    // hides Retry on completed jobs (read by BaseAdapter at runtime; missing from the 9.10.x typings)
    allowCompletedRetries: false,
    description: 'flinkops lifecycle steps: <namespace>/<name> <action> @<commit>',
  };
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, adapterOptions)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'flinkops' }, handlerHooks: refuseCompletedRetries(options.queues) },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_UI_PREFIX });
}
