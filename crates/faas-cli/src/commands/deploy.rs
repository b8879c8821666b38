//! `faas deploy`: turn stack functions (or `--image`/`--name`) into FunctionDeployments and send
//! them: PUT, then POST on 404 (docs/api.md §15.4).

use std::path::Path;

use faas_core::FunctionDeployment;
use faas_stack::{DeployInputs, DeployOverrides, Function};

use super::project::{image_of, prepare_templates, selected};
use super::ExitStatus;
use crate::cli::{DeployArgs, DeployFlags, GatewayArgs, TagFormat};
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::{key_values, Context};
use crate::templates::TEMPLATE_DIR;

/// Runs `faas deploy`.
pub async fn deploy(ctx: &Context, args: &DeployArgs) -> Result<ExitStatus, Error> {
    let stack = ctx.stack(&args.stack).await?;
    let overrides = overrides(&args.deploy)?;
    let Some(stack) = stack else {
        let (Some(image), Some(name)) = (&args.image, &args.name) else {
            return Err(Error::usage(
                "nothing to deploy: pass -f/--yaml FILE (or create ./stack.yml), or --image and --name",
            ));
        };
        let function = Function {
            name: name.clone(),
            image: Some(image.clone()),
            fprocess: args.fprocess.clone(),
            ..Function::default()
        };
        let mut deployment =
            faas_stack::deployment(&function, &Default::default(), &overrides, None)?;
        deployment.image = image.clone();
        let client = GatewayClient::new(&ctx.gateway(&args.gateway, None)?);
        send(&client, &[deployment], &args.deploy, Announce::Deploying).await?;
        return Ok(ExitStatus::Success);
    };
    let functions = selected(&stack, &args.stack)?;
    deploy_functions(
        ctx,
        &stack,
        &functions,
        &args.gateway,
        &args.deploy,
        args.tag,
    )
    .await?;
    Ok(ExitStatus::Success)
}

/// The flag side of the docs/stack.md §3 merge.
pub fn overrides(flags: &DeployFlags) -> Result<DeployOverrides, Error> {
    Ok(DeployOverrides {
        env: key_values(&flags.env, "--env")?,
        labels: key_values(&flags.label, "--label")?,
        annotations: key_values(&flags.annotation, "--annotation")?,
        secrets: flags.secret.clone(),
        constraints: flags.constraint.clone(),
        readonly: flags.readonly,
        namespace: flags.namespace.clone(),
    })
}

/// Deploys stack functions; shared with `up`.
pub async fn deploy_functions(
    ctx: &Context,
    stack: &faas_stack::StackFile,
    functions: &[&Function],
    gateway: &GatewayArgs,
    flags: &DeployFlags,
    tag: TagFormat,
) -> Result<(), Error> {
    let overrides = overrides(flags)?;
    let templates_dir = if flags.read_template {
        prepare_templates(ctx, stack, functions).await?;
        Some(Path::new(TEMPLATE_DIR))
    } else {
        None
    };
    let inputs = DeployInputs {
        base_dir: Path::new("."),
        templates_dir,
    };
    let mut deployments = faas_stack::deployments(functions, inputs, &overrides)?;
    for (deployment, function) in deployments.iter_mut().zip(functions) {
        deployment.image = image_of(ctx, function, tag).await?;
    }
    let client = GatewayClient::new(&ctx.gateway(gateway, Some(stack))?);
    send(&client, &deployments, flags, Announce::Deploying).await
}

/// Whether [`send`] starts each function with `Deploying: NAME.` (deploy, up) or not (store
/// deploy), as faas-cli does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// Print `Deploying: NAME.` first.
    Deploying,
    /// Print nothing before the warning and the outcome.
    Quietly,
}

/// The warning faas-cli prints before deploying over plain HTTP to a gateway that is not on
/// this machine.
pub const NOT_SECURE_WARNING: &str = "WARNING! Communication is not secure, please consider using HTTPS. Letsencrypt.org offers free SSL/TLS certificates.";

/// Whether calls to `gateway` deserve [`NOT_SECURE_WARNING`]: plain `http` to a host other than
/// `localhost` or a loopback address (127.0.0.0/8, ::1).
pub fn is_insecure_gateway(gateway: &str) -> bool {
    let Ok(uri) = gateway.parse::<http::Uri>() else {
        return false;
    };
    if uri.scheme_str() != Some("http") {
        return false;
    }
    let host = uri.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Sends each deployment and prints faas-cli's lines; every failure is reported, and the
/// command fails if any did.
pub async fn send(
    client: &GatewayClient,
    deployments: &[FunctionDeployment],
    flags: &DeployFlags,
    announce: Announce,
) -> Result<(), Error> {
    let mut failures = Vec::new();
    for deployment in deployments {
        let name = &deployment.service;
        if announce == Announce::Deploying {
            output::line(format!("Deploying: {name}."));
        }
        if is_insecure_gateway(client.url()) {
            output::line(NOT_SECURE_WARNING);
        }
        let result = client
            .deploy(deployment, flags.update, flags.replace)
            .await
            .during(|| format!("deploying {name} to {}", client.url()));
        match result {
            Ok(outcome) => {
                for w in &outcome.warnings {
                    output::gateway_warning(w);
                }
                // faas-cli prints this on a PUT answered 200; our gateway answers a successful
                // update 202, which means the same: the function existed and is being updated.
                if outcome.method == "PUT" && outcome.status.is_success() {
                    output::line(format!(
                        "Function {name} already exists, attempting rolling-update."
                    ));
                }
                output::line("");
                output::line(format!("Deployed. {}.", outcome.status));
                output::line(format!("URL: {}", function_url(client.url(), deployment)));
                output::line("");
            }
            Err(e) => failures.push(e),
        }
    }
    let total = deployments.len();
    match failures.len() {
        0 => Ok(()),
        1 if total == 1 => Err(failures.remove(0)),
        failed => {
            for failure in &failures {
                output::error(failure);
            }
            Err(Error::SomeFailed { failed, total })
        }
    }
}

/// `<gw>/function/<name>[.<ns>]`.
pub fn function_url(gateway: &str, deployment: &FunctionDeployment) -> String {
    match deployment.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{gateway}/function/{}.{ns}", deployment.service),
        None => format!("{gateway}/function/{}", deployment.service),
    }
}

#[cfg(test)]
mod tests {
    use super::is_insecure_gateway;

    #[test]
    fn only_plain_http_to_another_machine_is_insecure() {
        for insecure in [
            "http://192.168.0.107:8080",
            "http://faasserver.local:8080",
            "http://10.62.0.1:8080",
        ] {
            assert!(is_insecure_gateway(insecure), "{insecure}");
        }
        for fine in [
            "http://127.0.0.1:8080",
            "http://127.0.0.2:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
            "https://192.168.0.107:8080",
            "https://faasserver.local",
        ] {
            assert!(!is_insecure_gateway(fine), "{fine}");
        }
    }
}
