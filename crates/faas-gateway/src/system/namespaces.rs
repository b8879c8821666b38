//! `/system/namespaces` and `/system/namespace/…` (docs/api.md §7). faas-cli sends no
//! `Content-Type`, so none is required.

use faas_core::name::validate_namespace;
use faas_core::NamespaceRequest;
use http::request::Parts;
use http::{Response, StatusCode};
use hyper::body::Incoming;

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::request_body::{parse_json, read_limited};
use crate::rescue::{empty, json};

/// `GET /system/namespaces`: a JSON array of names.
pub(super) async fn list(shared: &Shared) -> Result<Response<GatewayBody>, GatewayError> {
    let names = shared.provider.list_namespaces().await?;
    Ok(json(StatusCode::OK, &names))
}

/// `POST /system/namespace/` with the name in the body: create; 201, 409 when it exists.
pub(super) async fn create(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let namespace = read_namespace(shared, parts, body).await?;
    validate_namespace(&namespace.name)?;
    shared.provider.create_namespace(namespace).await?;
    Ok(empty(StatusCode::CREATED))
}

/// `GET /system/namespace/{ns}`: the namespace with its labels and annotations.
pub(super) async fn get(
    shared: &Shared,
    name: &str,
) -> Result<Response<GatewayBody>, GatewayError> {
    let namespace = shared.provider.get_namespace(name.to_owned()).await?;
    Ok(json(StatusCode::OK, &namespace))
}

/// `PUT /system/namespace/{ns}`: replace labels and annotations; the body's name, when given,
/// must be the path's; 202.
pub(super) async fn update(
    shared: &Shared,
    name: &str,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let mut namespace = read_namespace(shared, parts, body).await?;
    if namespace.name.is_empty() {
        namespace.name = name.to_owned();
    } else if namespace.name != name {
        return Err(GatewayError::bad_request(format!(
            "namespace name {:?} in the body does not match {name:?} in the path",
            namespace.name
        )));
    }
    shared.provider.update_namespace(namespace).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `DELETE /system/namespace/{ns}`: 202; 409 while it still holds functions or secrets.
pub(super) async fn delete(
    shared: &Shared,
    name: &str,
) -> Result<Response<GatewayBody>, GatewayError> {
    shared.provider.delete_namespace(name.to_owned()).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

async fn read_namespace(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<NamespaceRequest, GatewayError> {
    let bytes = read_limited(body, &parts.headers, shared.config.system_body_limit).await?;
    parse_json(&bytes, "namespace request body")
}
