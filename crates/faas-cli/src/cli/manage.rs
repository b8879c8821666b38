//! Commands on deployed functions: `invoke`, `list`, `describe`, `remove`, `logs`, `scale`,
//! `ready`, `version`.

use clap::Args;

use super::{GatewayArgs, StackArgs};

/// Arguments of `faas invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The function to call.
    pub name: String,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway and the function's namespace).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// The function's namespace (default openfaas-fn).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Queue the call: POST /async-function/… and return at once.
    #[arg(short = 'a', long = "async")]
    pub is_async: bool,
    /// Request header KEY=VALUE (repeatable).
    #[arg(short = 'H', long = "header")]
    pub header: Vec<String>,
    /// HTTP method.
    #[arg(short = 'm', long, default_value = "POST")]
    pub method: String,
    /// Query parameter KEY=VALUE (repeatable).
    #[arg(long)]
    pub query: Vec<String>,
    /// Content-Type of the request body.
    #[arg(long = "content-type", default_value = "text/plain")]
    pub content_type: String,
    /// Header carrying an HMAC-SHA1 signature of the body (with --key).
    #[arg(long)]
    pub sign: Option<String>,
    /// Key for --sign.
    #[arg(long)]
    pub key: Option<String>,
}

/// Arguments of `faas list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// Namespace to list.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Also show the image and creation time.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Print only function names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Sort by name or invocations.
    #[arg(long, default_value = "name")]
    pub sort: String,
}

/// Arguments of `faas describe`.
#[derive(Debug, Clone, Args)]
pub struct DescribeArgs {
    /// The function.
    pub name: String,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// The function's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

/// Arguments of `faas remove`.
#[derive(Debug, Clone, Args)]
pub struct RemoveArgs {
    /// Function to remove; without it, the stack file's functions.
    pub name: Option<String>,
    /// Stack file and function selection.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// The function's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

/// Arguments of `faas logs`.
#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// The function.
    pub name: String,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// The function's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Keep printing new lines; --follow=false stops after the existing ones.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub follow: bool,
    /// Only lines newer than this duration, e.g. 5m.
    #[arg(long)]
    pub since: Option<String>,
    /// Only lines at or after this RFC 3339 time.
    #[arg(long = "since-time")]
    pub since_time: Option<String>,
    /// Only the last N lines (-1 for all).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
    /// Only lines of this replica.
    #[arg(long)]
    pub instance: Option<String>,
    /// Line format: plain (timestamp name (instance) text), json, or text only.
    #[arg(short = 'o', long, default_value = "plain", value_parser = ["plain", "json", "text"])]
    pub output: String,
}

/// Arguments of `faas scale`.
#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// The function.
    pub name: String,
    /// Desired replicas (0 allowed).
    #[arg(short = 'r', long)]
    pub replicas: u64,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// The function's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

/// Arguments of `faas ready`.
#[derive(Debug, Clone, Args)]
pub struct ReadyArgs {
    /// Wait for this function to have a ready replica; without it, for the gateway.
    pub name: Option<String>,
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// The function's namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// How many times to check.
    #[arg(long, default_value_t = 60)]
    pub attempts: u32,
    /// Pause between checks, e.g. 1s.
    #[arg(long, default_value = "1s")]
    pub interval: String,
}

/// Arguments of `faas version`.
#[derive(Debug, Clone, Args)]
pub struct VersionArgs {
    /// Gateway.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Stack file (for provider.gateway).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// Print only the client version; do not call the gateway.
    #[arg(long = "short-version")]
    pub short_version: bool,
}
