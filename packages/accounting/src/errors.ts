/** The one error class of @dpledger/accounting. `code` is stable; `pointer` names the offending sub-event. */
export type AccountingErrorCode =
  | 'invalid_event' // the event is not a well-formed DpEvent (schema, range, NaN, infinity)
  | 'unsupported_event' // well-formed, but this accountant cannot analyse it
  | 'invalid_argument' // a bad argument to an accountant method or to calibration
  | 'calibration_failed'; // no parameter in range meets the target

export class AccountingError extends Error {
  override readonly name = 'AccountingError';
  readonly code: AccountingErrorCode;
  /** JSON pointer (RFC 6901) of the offending sub-event inside the composed event, '' for the root. */
  readonly pointer: string | undefined;

  constructor(code: AccountingErrorCode, message: string, options: { pointer?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.pointer = options.pointer;
  }
}
