//! `/system/secrets` (docs/api.md §6): values are never returned nor logged.

use faas_core::name::validate_secret_name;
use faas_core::Secret;
use http::request::Parts;
use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::query_namespace;
use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::request_body::{parse_json, read_limited};
use crate::rescue::{empty, json};

/// `GET /system/secrets[?namespace=]`: names and namespaces, as JSON.
pub(super) async fn list(
    shared: &Shared,
    parts: &Parts,
) -> Result<Response<GatewayBody>, GatewayError> {
    let secrets = shared
        .provider
        .list_secrets(query_namespace(shared, parts))
        .await?;
    Ok(json(StatusCode::OK, &secrets))
}

/// `POST /system/secrets`: create; 201, 409 when it exists.
pub(super) async fn create(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let secret = read_secret(shared, parts, body).await?;
    secret.validate()?;
    shared.provider.create_secret(secret).await?;
    Ok(empty(StatusCode::CREATED))
}

/// `PUT /system/secrets`: replace the value; 200, 404 when absent.
pub(super) async fn update(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let secret = read_secret(shared, parts, body).await?;
    secret.validate()?;
    shared.provider.update_secret(secret).await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /system/secrets`: the namespace comes from the body, else the query, else the
/// default; 200 (never 204, which faas-cli treats as a failure).
pub(super) async fn delete(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let secret = read_secret(shared, parts, body).await?;
    validate_secret_name(&secret.name)?;
    let namespace = match secret.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns.to_owned(),
        _ => query_namespace(shared, parts),
    };
    shared
        .provider
        .delete_secret(namespace, secret.name)
        .await?;
    Ok(empty(StatusCode::OK))
}

async fn read_secret(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Secret, GatewayError> {
    let bytes = read_limited(body, &parts.headers, shared.config.system_body_limit).await?;
    let mut secret: Secret = parse_json(&bytes, "secret request body")?;
    if secret.namespace.as_deref().is_none_or(str::is_empty) {
        secret.namespace = Some(query_namespace(shared, parts));
    }
    Ok(secret)
}
