//! `/system/functions`, `/system/function/{name}` and `/system/scale-function/{name}`
//! (api.md §5).

use faas_core::{
    DeleteFunctionRequest, FunctionDeployment, FunctionRef, FunctionStatus, ScaleServiceRequest,
};
use http::request::Parts;
use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::query_namespace;
use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::query;
use crate::request_body::{parse_json, read_limited};
use crate::rescue::{empty, json};

/// `GET /system/functions[?namespace=]`: every function, with the gateway's invocation counts.
pub(super) async fn list(
    shared: &Shared,
    parts: &Parts,
) -> Result<Response<GatewayBody>, GatewayError> {
    let mut functions = shared.provider.list(query_namespace(shared, parts)).await?;
    for status in &mut functions {
        fill(shared, status);
    }
    Ok(json(StatusCode::OK, &functions))
}

/// `GET /system/function/{name}[?namespace=&usage=]`: one function's status.
pub(super) async fn status(
    shared: &Shared,
    name: &str,
    parts: &Parts,
) -> Result<Response<GatewayBody>, GatewayError> {
    let usage = query::param(parts.uri.query(), "usage")
        .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "True" | "t"));
    let function = FunctionRef::new(name, Some(&query_namespace(shared, parts)));
    let mut status = shared.provider.get(function, usage).await?;
    fill(shared, &mut status);
    Ok(json(StatusCode::OK, &status))
}

/// Adds what only the gateway knows to a provider's status, and notes its replicas.
fn fill(shared: &Shared, status: &mut FunctionStatus) {
    let function = status.function_ref();
    status.invocation_count = shared.metrics.invocation_count(&function);
    shared.metrics.set_replicas(&function, status.replicas);
}

/// `POST /system/functions`: deploy; 202.
pub(super) async fn deploy(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let deployment = read_deployment(shared, parts, body).await?;
    shared.provider.deploy(deployment).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `PUT /system/functions`: update; 404 when absent (faas-cli then deploys); 202.
pub(super) async fn update(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let deployment = read_deployment(shared, parts, body).await?;
    shared.provider.update(deployment).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

async fn read_deployment(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<FunctionDeployment, GatewayError> {
    let bytes = read_limited(body, &parts.headers, shared.config.system_body_limit).await?;
    let mut deployment: FunctionDeployment = parse_json(&bytes, "deployment request body")?;
    if deployment.namespace.as_deref().is_none_or(str::is_empty) {
        deployment.namespace = Some(shared.config.default_namespace.clone());
    }
    deployment.validate()?;
    Ok(deployment)
}

/// `DELETE /system/functions` with `{"functionName": …, "namespace": …}` (or `?namespace=`);
/// 202.
pub(super) async fn delete(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let bytes = read_limited(body, &parts.headers, shared.config.system_body_limit).await?;
    let request: DeleteFunctionRequest = parse_json(&bytes, "delete request body")?;
    if request.function_name.is_empty() {
        return Err(GatewayError::bad_request(
            "functionName is required to delete a function",
        ));
    }
    let namespace = match request.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns.to_owned(),
        _ => query_namespace(shared, parts),
    };
    let function = FunctionRef::new(request.function_name, Some(&namespace));
    shared.provider.delete(function).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `POST /system/scale-function/{name}` with `{"replicas": n}`: the path names the function;
/// 0 is allowed, above the gateway's maximum is not; 202.
pub(super) async fn scale(
    shared: &Shared,
    name: &str,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let bytes = read_limited(body, &parts.headers, shared.config.system_body_limit).await?;
    let request: ScaleServiceRequest = parse_json(&bytes, "scale request body")?;
    if let Some(service) = request.service_name.as_deref() {
        if !service.is_empty() && service != name {
            return Err(GatewayError::bad_request(format!(
                "serviceName {service:?} does not match the function in the path {name:?}"
            )));
        }
    }
    let max = shared.config.max_replicas;
    if request.replicas > max {
        return Err(GatewayError::bad_request(format!(
            "cannot scale {name} to {} replicas: the gateway allows at most {max}",
            request.replicas
        )));
    }
    let namespace = match request.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns.to_owned(),
        _ => query_namespace(shared, parts),
    };
    let function = FunctionRef::new(name, Some(&namespace));
    shared.provider.scale(function, request.replicas).await?;
    Ok(empty(StatusCode::ACCEPTED))
}
