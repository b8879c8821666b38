//! `new` and `template`.

use clap::{Args, Subcommand};

/// Arguments of `faas new`.
#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The function's name (a-z, 0-9 and dashes).
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// Template (language) to start from.
    #[arg(long, required_unless_present = "list")]
    pub lang: Option<String>,
    /// List the available templates.
    #[arg(long)]
    pub list: bool,
    /// Image prefix: a registry or user, e.g. 127.0.0.1:5000/me.
    #[arg(short = 'p', long, default_value = "")]
    pub prefix: String,
    /// Add the function to this stack file instead of writing NAME.yml.
    #[arg(short = 'a', long)]
    pub append: Option<String>,
    /// Gateway written to the new stack file (default $OPENFAAS_URL or http://127.0.0.1:8080).
    #[arg(short = 'g', long)]
    pub gateway: Option<String>,
    /// Memory limit, e.g. 128Mi.
    #[arg(long = "memory-limit")]
    pub memory_limit: Option<String>,
    /// CPU limit, e.g. 500m.
    #[arg(long = "cpu-limit")]
    pub cpu_limit: Option<String>,
    /// Memory request.
    #[arg(long = "memory-request")]
    pub memory_request: Option<String>,
    /// CPU request.
    #[arg(long = "cpu-request")]
    pub cpu_request: Option<String>,
    /// Print only the files written.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Arguments of `faas template`.
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TemplateCommand,
}

/// `faas template` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum TemplateCommand {
    /// Copy templates into ./template from a git repository or a local directory (default: the
    /// templates shipped with faas, or $OPENFAAS_TEMPLATE_URL).
    Pull(TemplatePullArgs),
    /// Browse and pull templates of the template store.
    Store(TemplateStoreArgs),
}

/// Arguments of `faas template pull`.
#[derive(Debug, Clone, Args)]
pub struct TemplatePullArgs {
    /// A git URL (optionally #ref) or a local directory holding template/<name>/.
    pub repository: Option<String>,
    /// Replace templates that already exist in ./template.
    #[arg(long)]
    pub overwrite: bool,
}

/// Arguments of `faas template store`.
#[derive(Debug, Clone, Args)]
pub struct TemplateStoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TemplateStoreCommand,
}

/// `faas template store` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum TemplateStoreCommand {
    /// List the store's templates for a platform.
    #[command(visible_alias = "ls")]
    List {
        /// Template store: a path, file:// or http(s):// URL.
        #[arg(short = 'u', long = "url", env = "OPENFAAS_TEMPLATE_STORE_URL", default_value = crate::commands::template::DEFAULT_TEMPLATE_STORE_URL)]
        url: String,
        /// Platform to list.
        #[arg(short = 'p', long, default_value = "x86_64")]
        platform: String,
        /// Show full descriptions.
        #[arg(short = 'v', long)]
        verbose: bool,
    },
    /// Pull a store template (NAME or SOURCE/NAME) into ./template.
    Pull {
        /// The template.
        name: String,
        /// Template store: a path, file:// or http(s):// URL.
        #[arg(short = 'u', long = "url", env = "OPENFAAS_TEMPLATE_STORE_URL", default_value = crate::commands::template::DEFAULT_TEMPLATE_STORE_URL)]
        url: String,
        /// Platform.
        #[arg(short = 'p', long, default_value = "x86_64")]
        platform: String,
        /// Replace a template that already exists in ./template.
        #[arg(long)]
        overwrite: bool,
    },
}
