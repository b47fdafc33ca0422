/**
 * A message that can never be processed (undecodable envelope or payload). It is retried
 * like any failure and then lands in the DLQ; the message never includes payload bytes.
 */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}
