// Secret comparison that takes the same time whatever the input. Both sides are hashed first so the
// buffers handed to timingSafeEqual always have equal length (it throws otherwise, and an early
// length check would itself leak the secret's length).
import { createHash, timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
