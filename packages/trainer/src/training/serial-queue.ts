/** One-at-a-time execution of async calls, in the order they were made (a promise chain; a failure does not block). */

/**
 * Runs each function once every earlier one has settled.
 * @example const q = new SerialQueue(); await Promise.all([q.run(a), q.run(b)]); // b starts after a settles
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const out = this.tail.then(fn);
    this.tail = out.then(
      () => undefined,
      () => undefined,
    );
    return out;
  }
}
