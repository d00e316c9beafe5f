/** The one error class of @dpledger/trainer. `code` is stable; messages name layers, never training records. */
export type TrainerErrorCode =
  | 'unsupported_layer' // a layer the per-sample machinery cannot handle at all
  | 'batch_normalization' // BatchNormalization couples examples in a batch: refused under DP
  | 'bad_input' // tensors, shapes or options that do not fit the model
  | 'invalid_argument' // an argument out of range (clip norms, sizes)
  | 'backend_unavailable' // a named tfjs backend (or a kernel it needs) cannot be loaded or initialised here
  | 'ledger_mismatch' // a checkpoint and its remote run disagree on the steps taken (resume would fork the ledger)
  | 'gpu_error' // the GPU reported an error (validation, out of memory, lost device): the step was not applied
  | 'worker_error'; // a shard worker thread could not start or died: the step was not applied

export class TrainerError extends Error {
  override readonly name = 'TrainerError';
  readonly code: TrainerErrorCode;

  constructor(code: TrainerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
