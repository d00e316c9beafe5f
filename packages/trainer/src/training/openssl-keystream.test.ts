import { describe, expect, it } from 'vitest';
import { keystreamConformance } from './keystream-conformance.fixture.js';
import { fastKeystream, OpenSslKeystream } from './openssl-keystream.js';
import { SeededRandomSource } from './random-source.js';
import { fillGaussian } from './gaussian-noise.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
const SEED = '0b16212c37424d58636e7984909ba6b1';

describe('OpenSslKeystream (node:crypto chacha20)', () => {
  it('is what fastKeystream gives on this Node', () => {
    expect(fastKeystream(KEY, 1)).toBeInstanceOf(OpenSslKeystream);
  });

  keystreamConformance((key, stream) => new OpenSslKeystream(key, stream));

  it('a seeded source on it gives the same words and Gaussian fills, from a mid-block position', () => {
    const make = (keystream?: typeof fastKeystream) =>
      new SeededRandomSource(SEED, { stream: 'noise', position: 5, keystream });
    const [ts, ssl] = [make(), make(fastKeystream)];
    const draw = (src: SeededRandomSource) => [
      src.nextUint32(),
      ...src.fillUint32(new Uint32Array(3000)),
      ...fillGaussian(src, new Float32Array(20000), 0.37),
      src.nextUint32(),
      src.position(),
    ];
    expect(draw(ssl)).toEqual(draw(ts));
  });
});
