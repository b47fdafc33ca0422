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

  /**
   * Active keys of the tenant wrapped under a tenant-key version below `belowVersion`, in
   * (meeting, purpose) order after `after` (keyset pagination for the rotation's rewrap).
   */
  listWrappedBelow(
    tenantId: string,
    belowVersion: number,
    limit: number,
    after?: { meetingId: string; purpose: KeyPurpose },
  ): Promise<Array<{ meetingId: string; purpose: KeyPurpose; keyName: string; wrapped: string; keyVersion: number }>> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows: Array<{ meeting_id: string; purpose: KeyPurpose; key_name: string; wrapped: string; key_version: number }> = await m.query(
        `SELECT meeting_id, purpose, key_name, wrapped, key_version FROM data_keys
          WHERE tenant_id = $1 AND wrapped IS NOT NULL AND destroyed_at IS NULL AND key_version < $2
            AND (meeting_id, purpose) > ($3, $4)
          ORDER BY meeting_id, purpose
          LIMIT $5`,
        [tenantId, belowVersion, after?.meetingId ?? '', after?.purpose ?? '', limit],
      );
      return rows.map((r) => ({ meetingId: r.meeting_id, purpose: r.purpose, keyName: r.key_name, wrapped: r.wrapped, keyVersion: r.key_version }));
    });
  }

  /**
   * Replaces a wrapped key by its rewrapped form (same plaintext, newer tenant-key version),
   * only if the row still holds `previous` and was not destroyed meanwhile (compare-and-set:
   * a rotation never resurrects an erased key). True when the row was updated.
   */
  replaceWrapped(tenantId: string, meetingId: string, purpose: KeyPurpose, previous: string, next: { wrapped: string; keyVersion: number }): Promise<boolean> {
    return this.db.withTenant(tenantId, async (m) => {
      const result: unknown = await m.query(
        `UPDATE data_keys SET wrapped = $5, key_version = $6
          WHERE tenant_id = $1 AND meeting_id = $2 AND purpose = $3 AND wrapped = $4 AND destroyed_at IS NULL`,
        [tenantId, meetingId, purpose, previous, next.wrapped, next.keyVersion],
      );
      return affectedRows(result) === 1;
    });
  }

  /** Active keys of the tenant per tenant-key version (rotation progress). */
  versionCounts(tenantId: string): Promise<Record<number, number>> {
    return this.db.withTenant(tenantId, async (m) => {
      const rows: Array<{ key_version: number; n: string }> = await m.query(
        `SELECT key_version, count(*) AS n FROM data_keys
          WHERE tenant_id = $1 AND wrapped IS NOT NULL AND destroyed_at IS NULL GROUP BY key_version`,
        [tenantId],
      );
      return Object.fromEntries(rows.map((r) => [r.key_version, Number(r.n)]));
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

/** Rows affected by an UPDATE through TypeORM's pg driver (`[rows, count]`). */
function affectedRows(result: unknown): number {
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  return 0;
}
