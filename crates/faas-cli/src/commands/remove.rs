//! `faas remove [NAME]` (also `rm`, `delete`): DELETE /system/functions (docs/api.md §15.7).

use super::project::selected;
use super::ExitStatus;
use crate::cli::RemoveArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas remove`.
pub async fn remove(ctx: &Context, args: &RemoveArgs) -> Result<ExitStatus, Error> {
    let stack = ctx.stack(&args.stack).await?;
    let targets: Vec<(String, Option<String>)> = match (&args.name, &stack) {
        (Some(name), _) => vec![(name.clone(), args.namespace.clone())],
        (None, Some(stack)) => selected(stack, &args.stack)?
            .into_iter()
            .map(|f| {
                (
                    f.name.clone(),
                    args.namespace.clone().or_else(|| f.namespace.clone()),
                )
            })
            .collect(),
        (None, None) => {
            return Err(Error::usage(
                "name the function to remove, or pass -f/--yaml FILE",
            ))
        }
    };
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let mut failed = 0;
    for (name, namespace) in &targets {
        output::line(format!("Deleting: {name}."));
        let result = client
            .remove_function(name, namespace.as_deref())
            .await
            .during(|| format!("removing {name}"));
        match result {
            Ok(true) => output::line("Removing old function."),
            Ok(false) => {
                failed += 1;
                output::error(&Error::usage(format!(
                    "no existing function to remove: {name}"
                )));
            }
            Err(e) => {
                failed += 1;
                output::error(&e);
            }
        }
    }
    Ok(if failed == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
