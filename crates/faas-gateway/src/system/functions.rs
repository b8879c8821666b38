//! `/system/functions`, `/system/function/{name}` and `/system/scale-function/{name}`
//! (docs/api.md §5).

use faas_core::{
    DeleteFunctionRequest, DeployOutcome, FunctionDeployment, FunctionRef, FunctionStatus,
    ScaleServiceRequest,
};
use http::header::{HeaderValue, WARNING};
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

/// `POST /system/functions`: deploy; 202, with a `Warning` header per provider warning.
pub(super) async fn deploy(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let deployment = read_deployment(shared, parts, body).await?;
    let outcome = shared.provider.deploy(deployment).await?;
    Ok(accepted_with(&outcome))
}

/// `PUT /system/functions`: update; 404 when absent (faas-cli then deploys); 202, with a
/// `Warning` header per provider warning.
pub(super) async fn update(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let deployment = read_deployment(shared, parts, body).await?;
    let outcome = shared.provider.update(deployment).await?;
    Ok(accepted_with(&outcome))
}

/// A 202 carrying each warning of `outcome` as `Warning: 299 - "text"` (RFC 7234 §5.5, code
/// 299: a persistent miscellaneous warning), the way Kubernetes' API server reports them.
fn accepted_with(outcome: &DeployOutcome) -> Response<GatewayBody> {
    let mut response = empty(StatusCode::ACCEPTED);
    for w in &outcome.warnings {
        tracing::warn!(warning = %w, "deploy warning");
        if let Ok(v) = HeaderValue::from_bytes(warning_header(w).as_bytes()) {
            response.headers_mut().append(WARNING, v);
        }
    }
    response
}

/// `299 - "text"` with `text` made a valid quoted string: `"` and `\` escaped, control
/// characters (newlines included) turned into spaces.
fn warning_header(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 10);
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    format!("299 - \"{quoted}\"")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_become_quoted_299_headers() {
        assert_eq!(
            warning_header("registry \"r\" down\nusing C:\\local"),
            r#"299 - "registry \"r\" down using C:\\local""#
        );
        let r = accepted_with(&DeployOutcome {
            warnings: vec!["one".into(), "two".into()],
        });
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let got: Vec<_> = r.headers().get_all(WARNING).iter().collect();
        assert_eq!(got, [r#"299 - "one""#, r#"299 - "two""#]);
    }
}
