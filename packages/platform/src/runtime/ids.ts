import { randomUUID } from 'node:crypto';

/** Id generation behind a port so tests can make ids deterministic. */
export interface IdGenerator {
  newId(): string;
}

export const uuidGenerator: IdGenerator = { newId: () => randomUUID() };
