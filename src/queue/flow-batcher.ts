// Adds BullMQ flows in batches: the flows requested within one tick of the event loop go to Redis in
// one FlowProducer.addBulk (one MULTI/EXEC) instead of one transaction each. A poller enqueues a whole
// plan at once, so a batch is typically the plan's transitions; a lone enqueue waits one tick at most.
// Each caller still learns the outcome of its own flow: a failed batch rejects every caller in it, and
// nothing of a failed transaction is applied (deterministic job ids make adding again a no-op).
import type { FlowJob, FlowProducer } from 'bullmq';

/** Redis handles a MULTI of a few thousand commands at once; above this a batch is split. */
const MAX_BATCH = 200;

interface Waiting {
  flow: FlowJob;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class FlowBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly flows: FlowProducer) {}

  add(flow: FlowJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ flow, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) {
      const batch = all.slice(i, i + MAX_BATCH);
      this.flows.addBulk(batch.map((w) => w.flow)).then(
        (nodes) => {
          // BullMQ's addBulk adds nothing and resolves with undefined once close() was called: a caller
          // told "added" would mark the transition added and no sweep would ever add its flow
          if (!nodes) {
            const err = new Error('flow producer is closing: the flow was not added');
            for (const w of batch) w.reject(err);
            return;
          }
          for (const w of batch) w.resolve();
        },
        (err) => {
          for (const w of batch) w.reject(err);
        },
      );
    }
  }
}
