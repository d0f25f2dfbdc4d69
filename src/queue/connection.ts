// Redis connection settings shared by the queue's producers, workers and lock scripts.
// Workers need maxRetriesPerRequest: null (BullMQ's requirement for blocking reads); every connection
// reconnects quickly so a Redis restart costs seconds, not BullMQ's default 20 s backoff ceiling.
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis } from 'ioredis';

export function redisOptionsFromUrl(url: string): BullRedisOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(
      `unsupported Redis URL ${parsed.protocol}//${parsed.host}: expected redis://host:port[/db]`,
    );
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** `autoPipelining`: concurrent commands share round trips (for the enqueuer's many small scripts). */
export function connectRedis(url: string, options: { autoPipelining?: boolean } = {}): Redis {
  return new Redis({ ...redisOptionsFromUrl(url), enableAutoPipelining: options.autoPipelining ?? false });
}
