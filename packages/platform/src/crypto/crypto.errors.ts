import { AppError } from '../errors/app-error';

/** The blob is not a Confide ciphertext (bad magic, unknown format version, truncated, ...). */
export class CiphertextFormatError extends AppError {
  constructor(reason: string) {
    super('invalid-argument', `not a Confide ciphertext: ${reason}`);
  }
}

/**
 * Authentication failed: wrong key, wrong context (another tenant / meeting / record) or an
 * altered ciphertext. Deliberately without detail.
 */
export class DecryptionFailedError extends AppError {
  constructor() {
    super('failed-precondition', 'decryption failed');
  }
}
