/** Bad input or a conflicting request; the HTTP layer answers with `status` and this message. */
export class SimInputError extends Error {
  override name = 'SimInputError';
  constructor(
    message: string,
    readonly status: number = 400,
    readonly code: string = 'invalid_request',
  ) {
    super(message);
  }
}
