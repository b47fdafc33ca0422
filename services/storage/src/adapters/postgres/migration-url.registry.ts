/**
 * Which migration URL goes with an application URL, for the databases this process resolved
 * (`startEmbeddedPostgres`, `resolveStorageDatabase`). It lets a caller that predates
 * `migrationDatabaseUrl` keep calling `createStorageModule({ databaseUrl: db.url })`: the
 * module finds the owner's URL here and migrates with it. Callers should pass
 * `migrationDatabaseUrl` explicitly; this is the backwards-compatible fallback. In memory
 * only (the URLs hold passwords): never logged, forgotten when the database is stopped.
 */
const migrationUrls = new Map<string, string>();

/** Remembers the pair; returns a function that forgets it. */
export function registerMigrationUrl(appUrl: string, migrationUrl: string): () => void {
  migrationUrls.set(appUrl, migrationUrl);
  return () => {
    if (migrationUrls.get(appUrl) === migrationUrl) migrationUrls.delete(appUrl);
  };
}

/** The migration URL registered for `appUrl`, if any. */
export function registeredMigrationUrl(appUrl: string): string | undefined {
  return migrationUrls.get(appUrl);
}
