//! `faas build`: write `build/<fn>/` for each function (docs/stack.md §9) and build its image.

use std::path::Path;

use faas_stack::{BuildOverrides, Function, StackFile};

use super::project::{for_each_function, image_of, prepare_templates, selected};
use super::ExitStatus;
use crate::builder::{find_builder, is_local_registry, BuildRequest, Builder};
use crate::cli::{BuildArgs, BuildFlags, ImageFlags};
use crate::error::Error;
use crate::local_registry;
use crate::output;
use crate::settings::{key_values, Context};
use crate::templates::TEMPLATE_DIR;

/// Runs `faas build`.
pub async fn build(ctx: &Context, args: &BuildArgs) -> Result<ExitStatus, Error> {
    let stack = ctx.required_stack(&args.stack).await?;
    let functions = selected(&stack, &args.stack)?;
    build_functions(ctx, &stack, &functions, &args.image, &args.build).await?;
    Ok(ExitStatus::Success)
}

/// Builds (or shrink-wraps) `functions`; shared with `up`.
pub async fn build_functions(
    ctx: &Context,
    stack: &StackFile,
    functions: &[&Function],
    image: &ImageFlags,
    flags: &BuildFlags,
) -> Result<(), Error> {
    let builder = if flags.shrinkwrap {
        None
    } else {
        Some(find_builder(
            &ctx.env,
            image.builder.as_deref(),
            flags.storage_driver.clone(),
        )?)
    };
    prepare_templates(ctx, stack, functions).await?;
    let overrides = BuildOverrides {
        build_args: key_values(&flags.build_arg, "--build-arg")?,
        build_options: flags.build_option.clone(),
    };
    let started = tokio::time::Instant::now();
    for_each_function(functions, image.parallel, "building", |function| {
        build_one(
            ctx,
            stack,
            function,
            builder.as_ref(),
            image,
            flags,
            &overrides,
        )
    })
    .await?;
    if builder.is_some() {
        output::progress(format!(
            "Total build time: {:.2}s",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

async fn build_one(
    ctx: &Context,
    stack: &StackFile,
    function: &Function,
    builder: Option<&Builder>,
    image_flags: &ImageFlags,
    flags: &BuildFlags,
    overrides: &BuildOverrides,
) -> Result<(), Error> {
    let name = &function.name;
    let template = faas_stack::function_template(function, Path::new(TEMPLATE_DIR))?;
    let Some(plan) = faas_stack::plan_build_context(
        Path::new("."),
        stack,
        function,
        template.as_ref(),
        &flags.copy_extra,
    )?
    else {
        output::progress(format!(
            "Skipping build of {name}: skip_build is set or it has no lang."
        ));
        return Ok(());
    };
    faas_stack::write_build_context(&plan)?;
    let context_dir = plan
        .context_dir
        .strip_prefix(".")
        .unwrap_or(&plan.context_dir);
    let Some(builder) = builder else {
        output::line(format!(
            "{name} shrink-wrapped to {}",
            context_dir.display()
        ));
        return Ok(());
    };
    let mut build_args =
        faas_stack::build_arguments(function, template.as_ref().map(|t| &t.spec), overrides)?;
    let image = image_of(ctx, function, image_flags.tag).await?;
    let dockerfile = std::fs::read_to_string(context_dir.join("Dockerfile")).unwrap_or_default();
    // The base images, checked before the builder starts: a stopped registry or a missing image
    // is one line with the fix, not the builder's retries.
    let local = local_registry::local_registry(&ctx.env);
    let rewritten = local_registry::rewritten_defaults(&dockerfile, &local, &build_args);
    build_args.extend(rewritten);
    let bases = local_registry::from_images(&dockerfile, &build_args);
    local_registry::check_images(&bases, &local).await?;
    let local_registry = is_local_registry(&image)
        || build_args.iter().any(|(_, v)| is_local_registry(v))
        || dockerfile.contains("127.0.0.1:")
        || dockerfile.contains("localhost:");
    let request = BuildRequest {
        context_dir,
        image: &image,
        build_args: &build_args,
        no_cache: flags.no_cache,
        pull: flags.pull,
        local_registry,
    };
    let started = tokio::time::Instant::now();
    output::progress(format!(
        "[{name}] Building {image} with {} in {}",
        builder.kind.program(),
        context_dir.display()
    ));
    builder
        .run(
            name,
            &builder.build_argv(&request),
            context_dir,
            &ctx.env,
            flags.quiet,
        )
        .await?;
    output::line(format!("Image: {image} built."));
    output::progress(format!(
        "[{name}] Building done in {:.2}s.",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
