/** vitest setupFiles: every fc.assert in this test file runs under the run's one seed (see ./fast-check-global.ts). */
import fc from 'fast-check';
import { inject } from 'vitest';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: inject('fcSeed') });
