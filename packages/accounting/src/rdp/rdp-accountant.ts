/**
 * The RDP accountant: a per-order Renyi-divergence vector, composed by addition (Mironov 2017, Prop. 1) and
 * converted to (epsilon, delta) at the best order (Balle et al. 2020, Thm. 21).
 */
import { BaseAccountant, unsupported, type LeafEvent } from '../accountant.js';
import type { DpEvent, NeighboringRelation } from '../dp-event.js';
import { AccountingError } from '../errors.js';
import { rdpToDelta, rdpToEpsilon } from './conversion.js';
import { DEFAULT_RDP_ORDERS } from './default-orders.js';
import { gaussianRdp, laplaceRdp, pureDpRdp, zcdpRdp } from './mechanisms.js';
import { poissonSampledGaussianRdp } from './sampled-gaussian.js';
import { sampledWithoutReplacementGaussianRdp } from './sampled-without-replacement.js';

export interface RdpAccountantOptions {
  neighboringRelation: NeighboringRelation;
  /** RDP orders, each finite and > 1. Default: dp_accounting's DEFAULT_RDP_ORDERS. */
  orders?: readonly number[];
}

type Vec = Float64Array;
const CACHE_LIMIT = 64;

/**
 * RDP accountant over a fixed list of orders. Exact for poisson_sampled(gaussian) at integer and fractional
 * orders (never below the true RDP), sampled_without_replacement(gaussian) under replace_one (WBK19 Thm. 9 bound),
 * gaussian, laplace, zcdp, pure epsilon_delta, no_op and non_private.
 * @example
 * const acc = new RdpAccountant({ neighboringRelation: 'add_or_remove_one' });
 * acc.compose({ kind: 'poisson_sampled', sampling_probability: 0.01, event: { kind: 'gaussian', noise_multiplier: 1.1 }
 * }, 1000);
 * acc.getEpsilon(1e-5); // ~1.7118
 */
export class RdpAccountant extends BaseAccountant<Vec> {
  /** The RDP orders (read only). */
  readonly orders: readonly number[];
  private readonly state: Vec;
  private readonly cache = new Map<string, Vec>();

  constructor(options: RdpAccountantOptions) {
    super(options.neighboringRelation);
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (
      !Array.isArray(orders) ||
      orders.length === 0 ||
      !orders.every((a) => typeof a === 'number' && Number.isFinite(a) && a > 1)
    ) {
      throw new AccountingError('invalid_argument', 'orders must be a non-empty array of finite numbers > 1');
    }
    this.orders = Object.freeze([...orders]);
    this.state = new Float64Array(orders.length);
  }

  /** The composed RDP at each of `orders` (a copy). */
  get rdp(): readonly number[] {
    return Array.from(this.state);
  }

  protected leafCost(event: LeafEvent, pointer: string): Vec {
    switch (event.kind) {
      case 'no_op':
        return this.zeroCost();
      case 'non_private':
        return this.curve(() => Infinity);
      case 'gaussian':
        return this.curve((a) => gaussianRdp(event.noise_multiplier, a));
      case 'laplace':
        return this.curve((a) => laplaceRdp(event.noise_multiplier, a));
      case 'zcdp':
        return this.curve((a) => zcdpRdp(event.rho, event.xi ?? 0, a));
      case 'epsilon_delta':
        // (eps, delta>0)-DP bounds no Renyi divergence (the delta mass may be arbitrarily bad); dp_accounting refuses
        // it too.
        if (event.delta > 0) unsupported(event, pointer, 'RDP cannot express delta > 0; use PldAccountant');
        return this.curve((a) => pureDpRdp(event.epsilon, a));
      case 'poisson_sampled':
        return this.poissonCost(event.sampling_probability, event.event, pointer);
      case 'sampled_without_replacement':
        return this.withoutReplacementCost(event.sample_size / event.source_dataset_size, event.event, pointer);
      default:
        return unsupported(event, pointer);
    }
  }

  private poissonCost(q: number, inner: DpEvent, pointer: string): Vec {
    const innerPointer = `${pointer}/event`;
    if (inner.kind === 'no_op') return this.zeroCost();
    if (inner.kind !== 'gaussian')
      unsupported(inner, innerPointer, 'RdpAccountant analyses poisson_sampled(gaussian) only');
    if (this.neighboringRelation !== 'add_or_remove_one') {
      unsupported(
        inner,
        pointer,
        'poisson_sampled is analysed under add_or_remove_one only (Mironov, Talwar, Zhang 2019)',
      );
    }
    const sigma = inner.noise_multiplier;
    const key = `${q}|${sigma}`;
    let vec = this.cache.get(key);
    if (vec === undefined) {
      vec = this.curve((a) => poissonSampledGaussianRdp(q, sigma, a));
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, vec);
    }
    return vec;
  }

  private withoutReplacementCost(q: number, inner: DpEvent, pointer: string): Vec {
    if (inner.kind === 'no_op') return this.zeroCost();
    if (inner.kind !== 'gaussian')
      unsupported(inner, `${pointer}/event`, 'RdpAccountant analyses sampled_without_replacement(gaussian) only');
    if (this.neighboringRelation !== 'replace_one') {
      unsupported(
        inner,
        pointer,
        'sampled_without_replacement is analysed under replace_one only (Wang, Balle, Kasiviswanathan 2019)',
      );
    }
    const sigma = inner.noise_multiplier;
    return this.curve((a) => sampledWithoutReplacementGaussianRdp(q, sigma, a));
  }

  private curve(f: (order: number) => number): Vec {
    return Float64Array.from(this.orders, f);
  }

  protected zeroCost(): Vec {
    return new Float64Array(this.orders.length);
  }

  protected combine(a: Vec, b: Vec): Vec {
    return a.map((x, i) => x + b[i]!);
  }

  protected repeat(cost: Vec, count: number): Vec {
    // RDP composes additively (Mironov 2017, Prop. 1)
    return count === 0 ? this.zeroCost() : cost.map((x) => x * count);
  }

  protected apply(cost: Vec): void {
    for (let i = 0; i < cost.length; i++) this.state[i]! += cost[i]!;
  }

  /** The smallest epsilon at `delta`, and the order that attains it. */
  getEpsilonAndOrder(delta: number): { epsilon: number; order: number } {
    const { value, order } = rdpToEpsilon(this.orders, this.state, delta);
    return { epsilon: value, order };
  }

  /** The smallest delta at `epsilon`, and the order that attains it. */
  getDeltaAndOrder(epsilon: number): { delta: number; order: number } {
    const { value, order } = rdpToDelta(this.orders, this.state, epsilon);
    return { delta: value, order };
  }

  getEpsilon(delta: number): number {
    return this.getEpsilonAndOrder(delta).epsilon;
  }

  getDelta(epsilon: number): number {
    return this.getDeltaAndOrder(epsilon).delta;
  }
}
