import { LifecycleSchema1764806400000 } from './1764806400000-lifecycle-schema';
import { ErasureRequests1764979200000 } from './1764979200000-erasure-requests';
import { AuditEventSources1765065600000 } from './1765065600000-audit-event-sources';

/** In order of application. */
export const lifecycleMigrations = [LifecycleSchema1764806400000, ErasureRequests1764979200000, AuditEventSources1765065600000];
