# The pack's AppRole rotating its own secret id (vault-secret-id-rotate): on the role's tokens,
# besides docs/vault-rotation-policy.hcl. Mount approle, role rotation; change both to yours.
path "auth/approle/role/rotation/secret-id"                  { capabilities = ["update", "list"] }
path "auth/approle/role/rotation/secret-id/lookup"           { capabilities = ["update"] }
path "auth/approle/role/rotation/secret-id-accessor/destroy" { capabilities = ["update"] }
