#!/usr/bin/env bash
# The shell flow of Kestra's guide "Secrets Rotation Automation: Master Your
# Security" (https://kestra.io/resources/infrastructure/secrets-rotation-automation,
# source kestra-io/docs, the example flow `aws-iam-key-rotation`), its four
# tasks run in order as one script, so that it can be timed against moto:
#
#   get_old_key_id         aws iam list-access-keys --user-name U | jq -r '.AccessKeyMetadata[0].AccessKeyId'
#   create_new_key         aws iam create-access-key --user-name U > new_key.json
#   update_secret_manager  a Log task: "Update external secret manager with new key from ..."
#   delete_old_key         aws iam delete-access-key --user-name U --access-key-id <old key id>
#
# Changes from the guide, only so that it runs here: every aws call gets
# --endpoint-url (Debian's AWS CLI 2.9 predates AWS_ENDPOINT_URL); the user
# name is $1; new_key.json lives in a temporary directory that is removed.
# With GUIDE_STORE_SECRET=<secret id>, the Log task is replaced by what its
# comment says a real workflow would do: put the new key into Secrets Manager.
#
# usage: AWS_CLI=/usr/bin/aws AWS_ENDPOINT_URL=http://... guide-flow.sh USER
set -euo pipefail

user_name=$1
aws() { "${AWS_CLI:-aws}" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# task get_old_key_id
old_key_id=$(aws iam list-access-keys --user-name "$user_name" | jq -r '.AccessKeyMetadata[0].AccessKeyId')

# task create_new_key
aws iam create-access-key --user-name "$user_name" >new_key.json

# task update_secret_manager
if [[ -n ${GUIDE_STORE_SECRET:-} ]]; then
	jq -c '{username: .AccessKey.UserName, access_key_id: .AccessKey.AccessKeyId, secret_access_key: .AccessKey.SecretAccessKey}' \
		new_key.json >secret.json
	aws secretsmanager put-secret-value --secret-id "$GUIDE_STORE_SECRET" --secret-string file://secret.json >/dev/null
else
	echo "Update external secret manager with new key from new_key.json"
fi

# task delete_old_key
aws iam delete-access-key --user-name "$user_name" --access-key-id "$old_key_id"
