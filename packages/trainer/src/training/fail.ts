/** Throws the package's one error class with a stable code. */
import { TrainerError, type TrainerErrorCode } from '../per-sample/trainer-error.js';

/** @example if (n < 1) fail('invalid_argument', 'n must be >= 1'); */
export function fail(code: TrainerErrorCode, message: string, cause?: unknown): never {
  throw new TrainerError(code, message, { cause });
}
