import { loadConfig } from '@confide/platform';
import { lifecycleConfigSchema } from '../../src/config';

describe('lifecycle config', () => {
  it('requires the storage address and defaults the rest', () => {
    expect(() => loadConfig(lifecycleConfigSchema, {})).toThrow(/STORAGE_GRPC_ADDR/);
    expect(() => loadConfig(lifecycleConfigSchema, { STORAGE_GRPC_ADDR: 'storage:50055' })).toThrow(/DATABASE_URL/);
    expect(loadConfig(lifecycleConfigSchema, { STORAGE_GRPC_ADDR: 'storage:50055', STORAGE_DEADLINE_MS: '2s', DATABASE_URL: 'postgres://app@db/confide' })).toMatchObject({
      GRPC_ADDR: '127.0.0.1:50056',
      STORAGE_GRPC_ADDR: 'storage:50055',
      STORAGE_DEADLINE_MS: 2000,
    });
  });
});
