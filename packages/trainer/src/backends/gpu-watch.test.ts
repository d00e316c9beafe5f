// The error plumbing of gpu-watch on a stand-in device (the real one is exercised in *.webgpu.test.ts).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../per-sample/trainer-error.js';
import { watchDevice } from './gpu-watch.js';
import type { GpuDeviceLike, GpuErrorLike } from './webgpu-adapter.js';

class GPUOutOfMemoryError {
  constructor(readonly message: string) {}
}

/** A device whose error scopes and events the test drives. */
class FakeDevice extends EventTarget {
  scopes: (GpuErrorLike | null)[] = [];
  pushed = 0;
  loseWith: (info: { reason: string; message: string }) => void = () => {};
  readonly lost = new Promise<{ reason?: string; message: string }>((resolve) => {
    this.loseWith = resolve;
  });
  readonly limits = {};
  pushErrorScope(): void {
    this.pushed++;
    this.scopes.push(null);
  }
  async popErrorScope(): Promise<GpuErrorLike | null> {
    return this.scopes.pop() ?? null;
  }
  destroy(): void {}
}

const asDevice = (d: FakeDevice) => d as unknown as GpuDeviceLike;
const code = (e: unknown) => (e instanceof TrainerError ? e.code : String(e));

describe('watchDevice', () => {
  it('an out-of-memory error in a watched stretch throws gpu_error naming it', async () => {
    const d = new FakeDevice();
    const w = await watchDevice(asDevice(d), 'step 7');
    d.scopes[1] = new GPUOutOfMemoryError('buffer of 64 GiB') as unknown as GpuErrorLike; // the out-of-memory scope
    const e = await w.settle().catch((x: unknown) => x);
    expect(code(e)).toBe('gpu_error');
    expect((e as Error).message).toMatch(/step 7.*GPUOutOfMemoryError: buffer of 64 GiB/);
  });

  it('an uncaptured error throws at the next watch, once', async () => {
    const d = new FakeDevice();
    await (await watchDevice(asDevice(d), 'step 0')).settle();
    d.dispatchEvent(Object.assign(new Event('uncapturederror'), { error: new GPUOutOfMemoryError('out of memory') }));
    expect(code(await watchDevice(asDevice(d), 'step 1').catch((x: unknown) => x))).toBe('gpu_error');
    await (await watchDevice(asDevice(d), 'step 2')).settle();
  });

  it('a lost device throws at every later watch', async () => {
    const d = new FakeDevice();
    d.loseWith({ reason: 'unknown', message: 'driver reset' });
    await Promise.resolve();
    for (const where of ['step 0', 'step 1']) {
      const e = await watchDevice(asDevice(d), where).catch((x: unknown) => x);
      expect((e as Error).message).toMatch(/device lost.*driver reset/);
    }
  });

  it('a failed read throws gpu_error; scopes left open by a step that threw are popped by the next watch', async () => {
    const d = new FakeDevice();
    const w = await watchDevice(asDevice(d), 'step 0');
    const broken = { data: () => Promise.reject(new Error('mapAsync aborted')) } as unknown as tf.Tensor;
    expect(code(await w.read(broken).catch((x: unknown) => x))).toBe('gpu_error');
    await watchDevice(asDevice(d), 'step 1');
    expect(d.scopes).toHaveLength(3);
  });
});
