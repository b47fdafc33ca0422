# Builders shared by the authz tests. Tenants t1 and t2; users u-* in t1, x-* in t2;
# staff s1; meetings m1 (owned by u-member) and m2 (owned by u-other) in t1, m9 in t2.
package confide.authz_test

import data.confide.authz

now_ms := 1764000000000

hour_ms := 3600000

all_actions := {
	"meeting:list",
	"meeting:read",
	"transcript:read",
	"report:read",
	"alerts:read",
	"meeting:delete",
	"meeting:restore",
	"meeting:stream",
	"user-data:delete",
	"tenant-data:delete",
	"settings:read",
	"settings:write",
	"tenant-key:rotate",
	"audit:read",
	"audit:export",
	"certificate:read",
	"grant:request",
	"grant:approve",
	"grant:revoke",
	"grant:list",
}

content_reads := {"meeting:read", "transcript:read", "report:read", "alerts:read"}

all_rpcs := {
	"rpc:confide.storage.v1.StorageService/ListMeetings",
	"rpc:confide.storage.v1.StorageService/GetMeeting",
	"rpc:confide.storage.v1.StorageService/GetTranscript",
	"rpc:confide.storage.v1.StorageService/ListAlerts",
	"rpc:confide.storage.v1.StorageService/GetReport",
	"rpc:confide.storage.v1.StorageService/PurgeMeeting",
	"rpc:confide.lifecycle.v1.LifecycleService/DeleteMeeting",
	"rpc:confide.lifecycle.v1.AccessGrantService/RequestAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/ApproveAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/DenyAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/RevokeAccessGrant",
	"rpc:confide.lifecycle.v1.AccessGrantService/ListAccessGrants",
	"rpc:confide.lifecycle.v1.AuditService/ExportAuditLog",
	"rpc:confide.lifecycle.v1.AuditService/GetAuditHead",
	"rpc:confide.lifecycle.v1.CertificateService/GetDeletionCertificate",
	"rpc:confide.lifecycle.v1.CertificateService/ListDeletionCertificates",
	"rpc:confide.lifecycle.v1.CertificateService/GetSigningKeys",
	"rpc:confide.lifecycle.v1.LifecycleService/EraseTenant",
	"rpc:confide.lifecycle.v1.LifecycleService/EraseUserData",
	"rpc:confide.lifecycle.v1.LifecycleService/RestoreArchivedMeeting",
	"rpc:confide.lifecycle.v1.LifecycleService/GetRetentionPolicy",
	"rpc:confide.lifecycle.v1.LifecycleService/SetRetentionPolicy",
	"rpc:confide.lifecycle.v1.AuditService/ListAuditEvents",
	"rpc:confide.ingest.v1.IngestService/StreamMeeting",
	"rpc:confide.insights.v1.InsightsService/ListAlertRules",
	"rpc:confide.transcription.v1.TranscriptionService/DescribeEngine",
	"rpc:confide.storage.v1.KeyRegistryService/GetDataKey",
	"rpc:confide.storage.v1.KeyRegistryService/GetOrCreateDataKey",
	"rpc:confide.storage.v1.KeyRegistryService/DestroyDataKey",
	"rpc:confide.storage.v1.KeyRegistryService/RotateTenantKey",
	"rpc:confide.storage.v1.KeyRegistryService/GetTenantKeyStatus",
	"rpc:confide.lifecycle.v1.AccessGrantService/ListActiveGrantsForPolicy",
}

user(id, tenant, roles, mfa) := {"id": id, "tenant": tenant, "roles": roles, "kind": "user", "mfa": mfa}

staff(id, mfa) := {"id": id, "tenant": "", "roles": [], "kind": "staff", "mfa": mfa}

service(name) := {"id": concat("", ["svc-", name]), "tenant": "", "roles": [], "kind": "service", "service": name, "mfa": false}

meeting(tenant, owner, id) := {"tenant": tenant, "owner": owner, "meeting": id, "kind": "meeting"}

tenant_resource(tenant) := {"tenant": tenant, "owner": "", "meeting": "", "kind": "tenant"}

m1 := meeting("t1", "u-member", "m1")

m2 := meeting("t1", "u-other", "m2")

m9 := meeting("t2", "x-member", "m9")

# The resource a test uses for an action: a meeting for meeting-scoped actions, the tenant
# otherwise, always in the given tenant and owned by `owner`.
resource_for(action, tenant, owner) := meeting(tenant, owner, "m1") if {
	{"meeting:read", "transcript:read", "report:read", "alerts:read", "meeting:delete", "meeting:restore", "meeting:stream"}[action]
} else := {"tenant": tenant, "owner": owner, "meeting": "", "kind": "tenant"}

ctx(grants, reason) := {"now": now_ms, "grants": grants, "reason": reason}

req(subject, action, resource) := {
	"subject": subject,
	"action": action,
	"resource": resource,
	"context": ctx([], ""),
}

req_ctx(subject, action, resource, context) := {
	"subject": subject,
	"action": action,
	"resource": resource,
	"context": context,
}

decide(i) := d if {
	d := authz.decision with input as i
}

# A grant that is active for staff s1 on tenant t1 (tenant scope), approved an hour ago,
# expiring in an hour.
grant := {
	"id": "g1",
	"tenant": "t1",
	"staff_id": "s1",
	"scope": "tenant",
	"meeting": "",
	"reason": "ticket 4711: transcript missing",
	"approved_by": "u-admin",
	"approved_at": now_ms - hour_ms,
	"expires_at": now_ms + hour_ms,
	"revoked": false,
}

grant_with(patch) := object.union(grant, patch)

staff_req(action, resource, grants, mfa) := req_ctx(staff("s1", mfa), action, resource, ctx(grants, ""))

denied_with(d, reason) if {
	d.allow == false
	reason in d.reasons
}
