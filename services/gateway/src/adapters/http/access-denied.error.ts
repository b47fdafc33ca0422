/** Thrown by routes on a refused decision: answered 403 `forbidden`, revealing nothing. */
export class AccessDeniedError extends Error {
  constructor() {
    super('access denied');
    this.name = 'AccessDeniedError';
  }
}
