//! Checks on a parsed stack (docs/stack.md §6): provider name and version as faas-cli checks them,
//! plus our name rules, each error pointing at the line of the offending value.

use faas_core::name::{is_dns1123_label, is_dns1123_subdomain, MAX_LABEL_LEN, MAX_SUBDOMAIN_LEN};

use crate::error::{Error, Origin};
use crate::schema::{Function, StackFile};

/// The only `provider.name` accepted.
pub const PROVIDER_NAME: &str = "openfaas";

/// The only `version` accepted (when present).
pub const STACK_VERSION: &str = "1.0";

/// Checks what every stack-reading command needs: `provider.name`, `version`, and the names of
/// functions, namespaces and secrets. Stops at the first problem in file order.
pub fn validate_stack(stack: &StackFile) -> Result<(), Error> {
    if let Some(version) = &stack.version {
        if version.trim() != STACK_VERSION {
            return Err(Error::invalid(
                stack.origin("version"),
                format!("[{STACK_VERSION}] are the only valid versions for the stack file - found: {version}; set `version: {STACK_VERSION}` or remove the line"),
            ));
        }
    }
    if stack.provider.name != PROVIDER_NAME {
        let origin = stack.origin("provider.name");
        let origin = if origin.position.is_none() {
            Origin::new(origin.file, Some(crate::Position::START), origin.field)
        } else {
            origin
        };
        return Err(Error::invalid(
            origin,
            format!(
                "['{PROVIDER_NAME}'] is the only valid \"provider.name\" for the OpenFaaS CLI, but you gave: {:?}; set `provider: {{name: {PROVIDER_NAME}}}`",
                stack.provider.name
            ),
        ));
    }
    for function in &stack.functions {
        validate_function(function)?;
    }
    Ok(())
}

/// Checks one function's name, namespace and secret names.
pub fn validate_function(function: &Function) -> Result<(), Error> {
    if !is_dns1123_label(&function.name) {
        return Err(Error::invalid(
            function.origin(""),
            format!(
                "function name {:?} is not valid: function name can only contain a-z, 0-9 and dashes, start and end with a letter or digit, and be at most {MAX_LABEL_LEN} characters",
                function.name
            ),
        ));
    }
    if let Some(namespace) = &function.namespace {
        check_namespace(namespace, function.origin("namespace"))?;
    }
    for (i, secret) in function.secrets.iter().enumerate() {
        check_secret(secret, function.origin(&format!("secrets[{i}]")))?;
    }
    Ok(())
}

/// Checks what a deploy needs beyond [`validate_function`]: a non-empty image.
pub fn validate_for_deploy(function: &Function) -> Result<(), Error> {
    match function.image.as_deref().map(str::trim) {
        None => Err(Error::invalid(
            function.origin("image"),
            "image is missing; add `image: REGISTRY/NAME:TAG`",
        )),
        Some("") => Err(Error::invalid(
            function.origin("image"),
            "image is empty; set it to REGISTRY/NAME:TAG",
        )),
        Some(_) => Ok(()),
    }
}

/// Checks what a push needs: an image with a registry or user prefix (`user/name`).
pub fn validate_for_push(function: &Function) -> Result<(), Error> {
    validate_for_deploy(function)?;
    let image = function.image.as_deref().unwrap_or_default();
    if !image.contains('/') {
        return Err(Error::invalid(
            function.origin("image"),
            format!("image {image:?} has no registry or user prefix, so it cannot be pushed; set it to REGISTRY/NAME:TAG, e.g. docker.io/user/{image}"),
        ));
    }
    Ok(())
}

/// Checks a namespace name (DNS-1123 label); `origin` names where it came from.
pub fn check_namespace(namespace: &str, origin: Origin) -> Result<(), Error> {
    if is_dns1123_label(namespace) {
        return Ok(());
    }
    Err(Error::invalid(
        origin,
        format!("namespace {namespace:?} is not valid: use at most {MAX_LABEL_LEN} characters from a-z, 0-9 and '-', starting and ending with a letter or digit"),
    ))
}

/// Checks a secret name (DNS-1123 subdomain); `origin` names where it came from.
pub fn check_secret(secret: &str, origin: Origin) -> Result<(), Error> {
    if is_dns1123_subdomain(secret) {
        return Ok(());
    }
    Err(Error::invalid(
        origin,
        format!("secret name {secret:?} is not valid: use lowercase letters, digits, '-' and '.', at most {MAX_SUBDOMAIN_LEN} characters, starting and ending with a letter or digit"),
    ))
}
