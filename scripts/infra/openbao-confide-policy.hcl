# Policy `confide`: what Confide's Vault Transit KMS adapter needs, on its own keys only
# (keys named confide-*). Written by scripts/infra/up.sh; mirror it in production Vault/OpenBao.

# tenant / meeting / audio / signing keys: create, read (public keys), delete (erasure)
path "transit/keys/confide-*" {
  capabilities = ["create", "read", "update", "delete"]
}
# deletion_allowed=true before an erasure, min_decryption_version after a rotation
path "transit/keys/confide-*/config" {
  capabilities = ["update"]
}
path "transit/keys/confide-*/rotate" {
  capabilities = ["update"]
}
# per-meeting data keys (wrapped only is the normal path; plaintext while a meeting is active)
path "transit/datakey/plaintext/confide-*" {
  capabilities = ["update"]
}
path "transit/datakey/wrapped/confide-*" {
  capabilities = ["update"]
}
path "transit/encrypt/confide-*" {
  capabilities = ["update"]
}
path "transit/decrypt/confide-*" {
  capabilities = ["update"]
}
path "transit/rewrap/confide-*" {
  capabilities = ["update"]
}
# deletion certificates and audit checkpoints (ed25519)
path "transit/sign/confide-*" {
  capabilities = ["update"]
}
path "transit/verify/confide-*" {
  capabilities = ["update"]
}
