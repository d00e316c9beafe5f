import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '@dpledger/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('buildModel', () => {
  it('builds the Papernot et al. 2020 tanh CNN with its shapes and parameter count', () => {
    const m = buildModel('tanh-cnn', { seed: 1 });
    expect(m.outputs[0]!.shape).toEqual([null, 10]);
    expect(m.layers.map((l) => l.outputShape)).toEqual([
      [null, 14, 14, 16],
      [null, 13, 13, 16],
      [null, 5, 5, 32],
      [null, 4, 4, 32],
      [null, 512],
      [null, 32],
      [null, 10],
    ]);
    // 16*8*8+16 + 32*16*4*4+32 + 512*32+32 + 32*10+10
    expect(m.countParams()).toBe(1040 + 8224 + 16416 + 330);
    expect(buildModel('tanh-cnn', { seed: 1 }).getWeights()[0]!.dataSync()).toEqual(m.getWeights()[0]!.dataSync());
  });

  it('builds the 784-512-10 MLP and refuses unknown names', () => {
    expect(buildModel('mlp').countParams()).toBe(784 * 512 + 512 + 5130);
    expect(() => buildModel('resnet' as never)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
