/**
 * Times that cross threads keep their order: a time a worker thread reads and sends, brought to
 * this thread's clock, lies between this thread's times before the worker started and after the
 * message arrived, however far apart the two threads' `performance.now()` origins are.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { fromProcessMs, toProcessMs } from '../../src/threads/monotonic-clock.ts';

const workerSource = `
  const { parentPort } = require('node:worker_threads');
  const { toProcessMs } = require(${JSON.stringify(new URL('../../src/threads/monotonic-clock.ts', import.meta.url).pathname)});
  parentPort.postMessage(toProcessMs(performance.now()));
`;

describe('the process-wide clock', () => {
  it('orders a worker thread time between this thread times around it', async () => {
    for (let i = 0; i < 5; i++) {
      const before = performance.now();
      const worker = new Worker(workerSource, { eval: true });
      const sent = await new Promise<number>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const after = performance.now();
      await worker.terminate();
      const seen = fromProcessMs(sent);
      expect(seen).toBeGreaterThanOrEqual(before);
      expect(seen).toBeLessThanOrEqual(after);
      // Round trip within a nanosecond (the process clock counts from boot: large numbers, float rounding).
      expect(fromProcessMs(toProcessMs(after))).toBeCloseTo(after, 6);
    }
  });
});
