/** Throws the package's error with a stable code (the one error class of @dpledger/trainer). */
export type FailCode = 'invalid_argument' | 'bad_input';

/** @example if (n < 1) fail('invalid_argument', 'n must be >= 1'); */
export function fail(code: FailCode, message: string, cause?: unknown): never {
  throw Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}
