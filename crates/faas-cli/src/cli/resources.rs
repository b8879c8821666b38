//! `login`, `logout`, `secret`, `namespace`, `store`.

use clap::{Args, Subcommand};

use super::GatewayArgs;

/// Arguments of `faas login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// User name.
    #[arg(short = 'u', long, default_value = "admin")]
    pub username: String,
    /// Password (prefer --password-stdin: a flag is visible to other users).
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// Read the password from stdin.
    #[arg(short = 's', long = "password-stdin")]
    pub password_stdin: bool,
}

/// Arguments of `faas logout`.
#[derive(Debug, Clone, Args)]
pub struct LogoutArgs {
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
}

/// Arguments of `faas secret`.
#[derive(Debug, Clone, Args)]
pub struct SecretArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SecretCommand,
}

/// `faas secret` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum SecretCommand {
    /// Create a secret from --from-literal, --from-file or stdin.
    Create(SecretValueArgs),
    /// Change a secret's value.
    #[command(visible_alias = "u")]
    Update(SecretValueArgs),
    /// List secret names.
    #[command(visible_alias = "ls")]
    List {
        /// Gateway.
        #[command(flatten)]
        gateway: GatewayArgs,
        /// Namespace.
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
    /// Remove a secret.
    #[command(visible_alias = "rm")]
    Remove {
        /// The secret.
        name: String,
        /// Gateway.
        #[command(flatten)]
        gateway: GatewayArgs,
        /// Namespace.
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
}

/// A secret's name and where its value comes from.
#[derive(Debug, Clone, Args)]
pub struct SecretValueArgs {
    /// The secret's name (a DNS-1123 subdomain).
    pub name: String,
    /// The value, given literally.
    #[arg(long = "from-literal", conflicts_with = "from_file")]
    pub from_literal: Option<String>,
    /// A file whose bytes are the value.
    #[arg(long = "from-file")]
    pub from_file: Option<String>,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Keep surrounding whitespace of a literal or stdin value.
    #[arg(long)]
    pub no_trim: bool,
}

/// Arguments of `faas namespace`.
#[derive(Debug, Clone, Args)]
pub struct NamespaceArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NamespaceCommand,
}

/// `faas namespace` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum NamespaceCommand {
    /// List namespaces.
    #[command(visible_alias = "ls")]
    List {
        /// Gateway.
        #[command(flatten)]
        gateway: GatewayArgs,
    },
    /// Create a namespace.
    Create {
        /// Its name.
        name: String,
        /// Gateway.
        #[command(flatten)]
        gateway: GatewayArgs,
    },
    /// Remove an empty namespace.
    #[command(visible_alias = "rm", alias = "delete")]
    Remove {
        /// Its name.
        name: String,
        /// Gateway.
        #[command(flatten)]
        gateway: GatewayArgs,
    },
}

/// Where the function store is.
#[derive(Debug, Clone, Args)]
pub struct StoreSourceArgs {
    /// Store document: a path, file:// or http(s):// URL.
    #[arg(
        short = 'u',
        long = "url",
        env = "OPENFAAS_STORE_URL",
        default_value = crate::commands::store::DEFAULT_STORE_URL
    )]
    pub url: String,
    /// Platform: x86_64, armhf, arm64 (or linux/amd64, linux/arm/v6, linux/arm64).
    #[arg(short = 'p', long, default_value = faas_stack::store::DEFAULT_PLATFORM)]
    pub platform: String,
}

/// Arguments of `faas store`.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// `faas store` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum StoreCommand {
    /// List the store's functions for a platform.
    #[command(visible_alias = "ls")]
    List {
        /// Store location and platform.
        #[command(flatten)]
        source: StoreSourceArgs,
        /// Show full descriptions.
        #[arg(short = 'v', long)]
        verbose: bool,
    },
    /// Show one store function.
    #[command(alias = "describe")]
    Inspect {
        /// Its name or title.
        name: String,
        /// Store location and platform.
        #[command(flatten)]
        source: StoreSourceArgs,
    },
    /// Deploy a store function.
    Deploy(Box<StoreDeployArgs>),
}

/// Arguments of `faas store deploy`.
#[derive(Debug, Clone, Args)]
pub struct StoreDeployArgs {
    /// The function's name or title in the store.
    pub name: String,
    /// Store location and platform.
    #[command(flatten)]
    pub source: StoreSourceArgs,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Deploy under another name.
    #[arg(long)]
    pub name_override: Option<String>,
    /// Deploy flags.
    #[command(flatten)]
    pub deploy: super::DeployFlags,
}
