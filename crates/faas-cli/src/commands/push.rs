//! `faas push`: push each function's image with the builder that built it.

use faas_stack::Function;

use super::project::{for_each_function, image_of, selected};
use super::ExitStatus;
use crate::builder::{find_builder, Builder};
use crate::cli::{ImageFlags, PushArgs};
use crate::error::Error;
use crate::output;
use crate::settings::Context;

/// Runs `faas push`.
pub async fn push(ctx: &Context, args: &PushArgs) -> Result<ExitStatus, Error> {
    let stack = ctx.required_stack(&args.stack).await?;
    let functions = selected(&stack, &args.stack)?;
    let storage_driver = ctx.env.get("BUILDAH_STORAGE_DRIVER");
    push_functions(ctx, &functions, &args.image, storage_driver).await?;
    Ok(ExitStatus::Success)
}

/// Pushes the images of `functions` (skipping `skip_build` ones); shared with `up`.
pub async fn push_functions(
    ctx: &Context,
    functions: &[&Function],
    image: &ImageFlags,
    storage_driver: Option<String>,
) -> Result<(), Error> {
    let builder = find_builder(&ctx.env, image.builder.as_deref(), storage_driver)?;
    for_each_function(functions, image.parallel, "pushing", |function| {
        push_one(ctx, function, &builder, image)
    })
    .await
}

async fn push_one(
    ctx: &Context,
    function: &Function,
    builder: &Builder,
    flags: &ImageFlags,
) -> Result<(), Error> {
    if function.skip_build {
        output::progress(format!(
            "Skipping push of {}: skip_build is set.",
            function.name
        ));
        return Ok(());
    }
    let image = image_of(ctx, function, flags.tag).await?;
    // Checked on the name pushed: one without a host goes to the local registry.
    let mut pushed = function.clone();
    pushed.image = Some(image.clone());
    faas_stack::validate_for_push(&pushed)?;
    output::progress(format!(
        "[{}] Pushing {image} with {}",
        function.name,
        builder.kind.program()
    ));
    builder
        .run(
            &function.name,
            &builder.push_argv(&image),
            std::path::Path::new("."),
            &ctx.env,
            false,
        )
        .await?;
    output::line(format!("Pushed: {image}."));
    Ok(())
}
