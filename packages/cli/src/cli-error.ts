/** An error the CLI reports as one line, with its exit code (2 = bad usage, 1 = failure). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
