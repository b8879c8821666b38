//! `faas up`: build, push (unless `--skip-push`) and deploy (unless `--skip-deploy`).

use super::project::selected;
use super::ExitStatus;
use crate::cli::UpArgs;
use crate::error::Error;
use crate::settings::Context;

/// Runs `faas up`.
pub async fn up(ctx: &Context, args: &UpArgs) -> Result<ExitStatus, Error> {
    let stack = ctx.required_stack(&args.stack).await?;
    let functions = selected(&stack, &args.stack)?;
    super::build::build_functions(ctx, &stack, &functions, &args.image, &args.build).await?;
    if args.build.shrinkwrap {
        return Ok(ExitStatus::Success);
    }
    if !args.skip_push {
        super::push::push_functions(
            ctx,
            &functions,
            &args.image,
            args.build.storage_driver.clone(),
        )
        .await?;
    }
    if !args.skip_deploy {
        super::deploy::deploy_functions(
            ctx,
            &stack,
            &functions,
            &args.gateway,
            &args.deploy,
            args.image.tag,
        )
        .await?;
    }
    Ok(ExitStatus::Success)
}
