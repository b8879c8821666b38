#!/usr/bin/env bash
# Sets a random gateway password in the Secret `basic-auth` (namespace `openfaas`) and
# restarts the gateway so it reads it. Needs kubectl pointed at the cluster.
#   scripts/k8s-secret.sh            # user admin, random password
#   FAAS_USER=me scripts/k8s-secret.sh
set -euo pipefail
user="${FAAS_USER:-admin}"
password="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
kubectl create secret generic basic-auth -n openfaas \
  --from-literal=basic-auth-user="$user" \
  --from-literal=basic-auth-password="$password" \
  --dry-run=client -o yaml | kubectl apply -f -
if kubectl get deploy/gateway -n openfaas >/dev/null 2>&1; then
  kubectl rollout restart -n openfaas deploy/gateway
fi
echo "gateway user: $user"
echo "password: kubectl get secret -n openfaas basic-auth -o jsonpath=\"{.data.basic-auth-password}\" | base64 --decode"
