# Least-privilege Vault (or OpenBao) policy for the rotation binaries, for
# secrets under secret/apps/ (KV v2 mounted at secret/). Replace "apps/" with
# your own prefix. The integration tests load this very file (with "apps/"
# replaced by their own prefix) and run every binary with a token holding
# only this policy, so it cannot drift from what the binaries need.
#
# Applications reading their secret need only: path "secret/data/apps/<name>"
# { capabilities = ["read"] }. They never need _pending/.

# CURRENT and PREVIOUS: read (stage, get, promote) and write the promoted
# value as a new version with check-and-set (promote).
path "secret/data/apps/*" {
  capabilities = ["create", "read", "update"]
}

# Which version is current (PREVIOUS = current - 1), and the rotation facts
# kept in custom_metadata (promote patches them); list for vault-inventory.
path "secret/metadata/apps/*" {
  capabilities = ["read", "patch", "list"]
}

# PENDING values, beside the secrets: created with cas=0 by stage, read by
# the target binaries through vault-get, and removed by promote and rollback.
path "secret/data/_pending/apps/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/_pending/apps/*" {
  capabilities = ["delete", "list"]
}

# Admin credentials of the targets (--admin-secret), read by deploy and
# revoke through vault-get. Read-only: the rotation token can never change
# them, and they live outside apps/ so applications' policies never see them.
path "secret/data/rotation-admin/*" {
  capabilities = ["read"]
}

# A binary that logged in itself (AppRole, Kubernetes or JWT, when VAULT_TOKEN
# is not set) revokes its own token at exit, even when the auth role gives
# its tokens no default policy (token_no_default_policy=true).
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
