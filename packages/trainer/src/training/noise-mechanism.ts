/**
 * The noise of a DP-SGD step behind one interface, for its three mechanisms: the Gaussian mechanism at a fixed clip
 * norm (Abadi et al. 2016), the same with adaptive clipping (Andrew et al. 2021) and the discrete Gaussian
 * (Canonne, Kamath, Steinke 2020). The trainer asks a mechanism what a step costs (`event`) and for the noised,
 * averaged clipped sum (`privatize`), and knows nothing else of how the noise is drawn.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NeighboringRelation } from '@dpledger/accounting';
import type { GaussianNoiseStream } from './noise-prefetch.js';
import type { RandomSource } from './random-source.js';
import type { StepMechanism } from './step-events.js';
import type { Clipping } from '../per-sample/index.js';

/**
 * A device-to-host read of several tensors in one transfer (the step's one read, see step-read.ts): each tensor's
 * values, flattened, in order.
 */
export type HostRead = (tensors: readonly tf.Tensor[]) => Promise<Float32Array[]>;

/** One step's noise: what it is accounted as, and how it is added. */
export interface NoiseMechanism {
  /** How one step's noise is accounted under `relation` (stepEvent adds the batch's sampling). */
  event(relation: NeighboringRelation): StepMechanism;
  /**
   * (sum + noise) / B for each clipped-sum tensor, as new tensors (`sums` are not disposed). A mechanism that needs
   * the sums on the host reads them with `read`, the step's one read.
   */
  privatize(sums: readonly tf.Tensor[], B: number, read?: HostRead): Promise<tf.Tensor[]>;
  /** The clipping the next step applies (adaptive: flat at the moving clip norm). */
  clipping(): Clipping;
  /** Adaptive clipping's moving clip norm (it needs each step's count of norms <= C); null for the others. */
  readonly adaptive: MovingClipNorm | null;
  /**
   * The Gaussian samples' stream (its seeded position is what a snapshot keeps); null when the noise comes from the
   * sampling stream.
   */
  readonly stream: GaussianNoiseStream | null;
}

/** A clip norm that each step moves by a noised, accounted count (adaptive-clipping.ts). */
export interface MovingClipNorm {
  clipNorm: number;
  /** The multiplier left for the gradient after paying for the count. */
  readonly gradientNoiseMultiplier: number;
  /** Releases the noised fraction of the batch's norms <= C (drawing its noise from `rng`) and moves C. */
  update(countAtMostC: number, batchSize: number, rng: RandomSource): number;
}
