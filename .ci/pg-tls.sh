#!/usr/bin/env bash
# Switches TLS on for the machine's PostgreSQL with a test CA made here, for the TLS tests:
# a CA, and a server certificate for the name `localhost` only (so that verify-full to
# 127.0.0.1 is refused for its name). Plain connections keep working. Prints the CA's path.
# Usage: .ci/pg-tls.sh DIR   (DIR receives ca.crt; the server's files go to its data dir)
set -euo pipefail
dir=$1
url=${SPECSTAR_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
mkdir -p "$dir"
openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -subj "/CN=specstar test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -new -nodes -newkey rsa:2048 -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
data=$(psql "$url" -Atqc 'SHOW data_directory')
install -m 0600 -o postgres -g postgres "$dir/server.crt" "$data/specstar-test-server.crt"
install -m 0600 -o postgres -g postgres "$dir/server.key" "$data/specstar-test-server.key"
psql "$url" -qc "ALTER SYSTEM SET ssl_cert_file = '$data/specstar-test-server.crt'" >/dev/null
psql "$url" -qc "ALTER SYSTEM SET ssl_key_file = '$data/specstar-test-server.key'" >/dev/null
psql "$url" -qc "ALTER SYSTEM SET ssl = on" >/dev/null
psql "$url" -Atqc 'SELECT pg_reload_conf()' >/dev/null
for _ in $(seq 1 20); do
    [ "$(psql "$url" -Atqc 'SHOW ssl')" = on ] && break
    sleep 0.5
done
[ "$(psql "$url" -Atqc 'SHOW ssl')" = on ] || { echo "FAIL: PostgreSQL did not switch TLS on" >&2; exit 1; }
echo "$dir/ca.crt"
