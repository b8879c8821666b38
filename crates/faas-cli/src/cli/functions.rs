//! `build`, `push`, `deploy`, `up`: the stack-file commands.

use clap::{Args, ValueEnum};

use super::{GatewayArgs, StackArgs};

/// How `--tag` versions an image (docs/stack.md §7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum TagFormat {
    /// The image as written in the stack file.
    #[default]
    Latest,
    /// `<image:tag>-<git short sha>`.
    Sha,
    /// `<image:tag>-<git branch>-<git short sha>`.
    Branch,
    /// `<image:tag>-<git describe --tags --always>`.
    Describe,
}

/// Flags shared by commands that name images.
#[derive(Debug, Clone, Args)]
pub struct ImageFlags {
    /// Add git information to image tags.
    #[arg(long, value_enum, default_value_t = TagFormat::Latest)]
    pub tag: TagFormat,
    /// How many functions to build or push at once.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// Image builder: buildah, docker or nerdctl (default: the first found on PATH, in that order).
    #[arg(long, env = "FAAS_BUILDER")]
    pub builder: Option<String>,
}

/// Flags of the build step.
#[derive(Debug, Clone, Args)]
pub struct BuildFlags {
    /// Build argument KEY=VALUE (repeatable; wins over the stack's build_args).
    #[arg(short = 'b', long = "build-arg")]
    pub build_arg: Vec<String>,
    /// Build option from the template (repeatable), e.g. dev.
    #[arg(short = 'o', long = "build-option")]
    pub build_option: Vec<String>,
    /// Do not use the builder's layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Always pull newer base images.
    #[arg(long)]
    pub pull: bool,
    /// Only write build/<function>/; do not build.
    #[arg(long)]
    pub shrinkwrap: bool,
    /// Extra path to copy into each function's folder (repeatable).
    #[arg(long = "copy-extra")]
    pub copy_extra: Vec<String>,
    /// Storage driver for buildah (default: $BUILDAH_STORAGE_DRIVER, else buildah's own).
    #[arg(long = "storage-driver", env = "BUILDAH_STORAGE_DRIVER")]
    pub storage_driver: Option<String>,
    /// Do not show the builder's output, only the result.
    #[arg(long)]
    pub quiet: bool,
}

/// Flags of the deploy step (docs/stack.md §3 merge rules).
#[derive(Debug, Clone, Args)]
pub struct DeployFlags {
    /// Namespace to deploy to (wins over the stack's).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Environment variable KEY=VALUE (repeatable; wins over the stack's).
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Label KEY=VALUE (repeatable).
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Annotation KEY=VALUE (repeatable).
    #[arg(long = "annotation")]
    pub annotation: Vec<String>,
    /// Secret to mount (repeatable).
    #[arg(long = "secret")]
    pub secret: Vec<String>,
    /// Placement constraint (repeatable; ignored when the stack sets constraints).
    #[arg(long = "constraint")]
    pub constraint: Vec<String>,
    /// Make the function's root filesystem read-only.
    #[arg(long)]
    pub readonly: bool,
    /// Update an existing function (PUT first); with --update=false only create.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub update: bool,
    /// Remove the function first, then create it.
    #[arg(long)]
    pub replace: bool,
    /// Use the template's fprocess when the stack sets none.
    #[arg(long = "read-template", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub read_template: bool,
}

/// Arguments of `faas build`.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Stack file and function selection.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Image naming and builder.
    #[command(flatten)]
    pub image: ImageFlags,
    /// Build flags.
    #[command(flatten)]
    pub build: BuildFlags,
}

/// Arguments of `faas push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Stack file and function selection.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Image naming and builder.
    #[command(flatten)]
    pub image: ImageFlags,
}

/// Arguments of `faas deploy`.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Stack file and function selection.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,
    /// Add git information to image tags (as used when building).
    #[arg(long, value_enum, default_value_t = TagFormat::Latest)]
    pub tag: TagFormat,
    /// Image to deploy without a stack file (with --name).
    #[arg(long)]
    pub image: Option<String>,
    /// Function name to deploy without a stack file (with --image).
    #[arg(long)]
    pub name: Option<String>,
    /// Process the watchdog runs, for --image deploys.
    #[arg(long)]
    pub fprocess: Option<String>,
}

/// Arguments of `faas up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Stack file and function selection.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Image naming and builder.
    #[command(flatten)]
    pub image: ImageFlags,
    /// Build flags.
    #[command(flatten)]
    pub build: BuildFlags,
    /// Deploy flags.
    #[command(flatten)]
    pub deploy: DeployFlags,
    /// Do not push (the runtime uses the builder's local image store or the registry as is).
    #[arg(long)]
    pub skip_push: bool,
    /// Do not deploy.
    #[arg(long)]
    pub skip_deploy: bool,
}
