/** vitest globalSetup: picks the run's fast-check seed once, prints it, and hands it to every test file. */
import type { TestProject } from 'vitest/node';
import { resolveFcSeed, seedBanner } from './fast-check-seed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fcSeed: number;
  }
}

export default function setup(project: TestProject): void {
  const seed = resolveFcSeed(process.env.FC_SEED);
  console.log(seedBanner(seed));
  project.provide('fcSeed', seed);
}
