FROM debian:12
# a file path or a secret-manager reference says where the secret is; it is not the secret
ENV GOOGLE_APPLICATION_CREDENTIALS=/var/run/gcp/creds.json
ARG GOOGLE_APPLICATION_CREDENTIALS
ENV DB_PASSWORD_FILE=/run/secrets/db_password
ENV API_TOKEN=/run/secrets/api_token
ARG SIGNING_KEY=./keys/signing.pem
ENV SSH_PRIVATE_KEY=${HOME}/.ssh/id_ed25519
ENV APP_SECRET=arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf
ENV CLIENT_SECRET=projects/acme/secrets/client/versions/3
ENV VAULT_TOKEN_REF=vault:secret/data/ci#token
ENV DB_PASSWORD="@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)"
