import type { KeyPurpose, KeyRegistry, StoredDataKey, WrappedDataKey } from '@confide/platform';
import type { DataSource } from 'typeorm';
import { TenantScopedDatabase } from './tenant-scope';

interface Row {
  key_name: string;
  wrapped: string | null;
  key_version: number;
  destroyed_at: Date | null;
}

/**
 * The key registry in Postgres (`data_keys`), under row-level security through `withTenant`.
 * First writer wins (`INSERT .. ON CONFLICT DO NOTHING`, then read what is stored); destroying
 * deletes the wrapped key and leaves the tombstone. Only wrapped keys are ever stored.
 */
export class PostgresDataKeyRepository implements KeyRegistry {
  private readonly db: TenantScopedDatabase;

  constructor(dataSource: DataSource) {
    this.db = new TenantScopedDatabase(dataSource);
  }

  get(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<StoredDataKey | undefined> {
    return this.db.withTenant(tenantId, async (m) => toStored(await selectKey(m, tenantId, meetingId, purpose)));
  }

  putIfAbsent(tenantId: string, meetingId: string, purpose: KeyPurpose, key: WrappedDataKey): Promise<StoredDataKey> {
    return this.db.withTenant(tenantId, async (m) => {
      await m.query(
        `INSERT INTO data_keys (tenant_id, meeting_id, purpose, key_name, wrapped, key_version)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, meeting_id, purpose) DO NOTHING`,
        [tenantId, meetingId, purpose, key.keyName, key.wrapped, key.keyVersion],
      );
      const stored = toStored(await selectKey(m, tenantId, meetingId, purpose));
      if (!stored) throw new Error('data key row vanished');
      return stored;
    });
  }

  destroy(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<boolean> {
    return this.db.withTenant(tenantId, async (m) => {
      const before = await selectKey(m, tenantId, meetingId, purpose, ' FOR UPDATE');
      await m.query(
        `INSERT INTO data_keys AS k (tenant_id, meeting_id, purpose, key_name, wrapped, key_version, destroyed_at)
         VALUES ($1, $2, $3, '', NULL, 0, now())
         ON CONFLICT (tenant_id, meeting_id, purpose) DO UPDATE
           SET wrapped = NULL, destroyed_at = COALESCE(k.destroyed_at, now())`,
        [tenantId, meetingId, purpose],
      );
      return before?.wrapped != null;
    });
  }

  /** When the key was destroyed (ms), or undefined while it is not. */
  destroyedAt(tenantId: string, meetingId: string, purpose: KeyPurpose): Promise<number | undefined> {
    return this.db.withTenant(tenantId, async (m) => (await selectKey(m, tenantId, meetingId, purpose))?.destroyed_at?.getTime());
  }
}

async function selectKey(
  m: { query: (sql: string, params: unknown[]) => Promise<Row[]> },
  tenantId: string,
  meetingId: string,
  purpose: KeyPurpose,
  lock = '',
): Promise<Row | undefined> {
  const rows = await m.query(
    `SELECT key_name, wrapped, key_version, destroyed_at FROM data_keys WHERE tenant_id = $1 AND meeting_id = $2 AND purpose = $3${lock}`,
    [tenantId, meetingId, purpose],
  );
  return rows[0];
}

function toStored(row: Row | undefined): StoredDataKey | undefined {
  if (!row) return undefined;
  if (row.wrapped === null || row.destroyed_at !== null) return { state: 'erased' };
  return { state: 'active', keyName: row.key_name, wrapped: row.wrapped, keyVersion: row.key_version };
}
