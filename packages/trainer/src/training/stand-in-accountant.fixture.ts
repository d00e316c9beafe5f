/**
 * Test support only: a small RDP accountant standing in for @dpledger/accounting's while that lands. Gaussian:
 * alpha / (2 sigma^2) (Mironov 2017, Prop. 7); Poisson-sampled Gaussian priced as the unsampled one (an upper
 * bound: no amplification); zCDP: rho * alpha (Bun & Steinke 2016). Conversion: Mironov 2017, Prop. 3.
 */
import { BaseAccountant, unsupported, type LeafEvent } from '@dpledger/accounting';

const ORDERS = [1.5, 2, 3, 4, 6, 8, 16, 32, 64];

export class StandInAccountant extends BaseAccountant<number[]> {
  constructor() {
    super('add_or_remove_one');
  }
  private rdp = ORDERS.map(() => 0);
  protected leafCost(e: LeafEvent, pointer: string): number[] {
    if (e.kind === 'gaussian') return ORDERS.map((a) => a / (2 * e.noise_multiplier ** 2));
    if (e.kind === 'poisson_sampled') return this.leafCost(e.event as LeafEvent, `${pointer}/event`);
    if (e.kind === 'zcdp') return ORDERS.map((a) => e.rho * a);
    return unsupported(e, pointer);
  }
  protected zeroCost(): number[] {
    return ORDERS.map(() => 0);
  }
  protected combine(a: number[], b: number[]): number[] {
    return a.map((x, i) => x + b[i]!);
  }
  protected repeat(c: number[], n: number): number[] {
    return c.map((x) => x * n);
  }
  protected apply(c: number[]): void {
    this.rdp = this.combine(this.rdp, c);
  }
  getEpsilon(delta: number): number {
    return Math.min(...ORDERS.map((a, i) => this.rdp[i]! + Math.log(1 / delta) / (a - 1)));
  }
  getDelta(): number {
    return NaN;
  }
}
