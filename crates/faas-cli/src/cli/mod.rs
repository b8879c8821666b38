//! The command line as clap types; doc comments are the help. Flags and names follow
//! faas-cli 0.16 so scripts and tutorials work by swapping the binary name.

use clap::{Args, Parser, Subcommand};

mod functions;
mod manage;
mod resources;
mod templates;

pub use functions::{
    BuildArgs, BuildFlags, DeployArgs, DeployFlags, ImageFlags, PushArgs, TagFormat, UpArgs,
};
pub use manage::{
    DescribeArgs, InvokeArgs, ListArgs, LogsArgs, ReadyArgs, RemoveArgs, ScaleArgs, VersionArgs,
};
pub use resources::{
    LoginArgs, LogoutArgs, NamespaceArgs, NamespaceCommand, SecretArgs, SecretCommand,
    SecretValueArgs, StoreArgs, StoreCommand, StoreDeployArgs, StoreSourceArgs,
};
pub use templates::{
    NewArgs, TemplateArgs, TemplateCommand, TemplatePullArgs, TemplateStoreArgs,
    TemplateStoreCommand,
};

/// faas: build, deploy and call functions on an OpenFaaS-compatible gateway.
///
/// Takes the same commands, flags, stack files and config file as faas-cli 0.16. Every failure
/// exits with a non-zero status and one line on stderr. Set FAAS_LOG=debug for diagnostics.
///
/// The local registry: an image named without host or user in a stack file (`image:
/// hello-python:latest`) is built, pushed and deployed as `<local registry>/hello-python:latest`;
/// the local registry is FAAS_LOCAL_REGISTRY (default 127.0.0.1:5000, the one `faasd install`
/// runs). Names with a user (`josanabr/hello-python`) or a host go where they say. `build` checks
/// that the base images a template needs are in that registry before the builder starts.
#[derive(Debug, Parser)]
#[command(name = "faas", version, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a gateway and store the credentials in the config file.
    Login(LoginArgs),
    /// Remove the stored credentials of a gateway.
    Logout(LogoutArgs),
    /// Create a function from a template: NAME/ and NAME.yml.
    New(NewArgs),
    /// Fetch templates into ./template, or browse the template store.
    Template(TemplateArgs),
    /// Build the images of a stack file's functions.
    Build(BuildArgs),
    /// Push the images of a stack file's functions.
    Push(PushArgs),
    /// Deploy a stack file's functions (or one image with --image and --name).
    Deploy(DeployArgs),
    /// Build, push and deploy in one step.
    Up(UpArgs),
    /// Call a function with stdin as the request body.
    Invoke(InvokeArgs),
    /// List deployed functions.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show a function's details.
    Describe(DescribeArgs),
    /// Remove deployed functions.
    #[command(visible_alias = "rm", alias = "delete")]
    Remove(RemoveArgs),
    /// Print a function's logs.
    Logs(LogsArgs),
    /// Manage secrets.
    Secret(SecretArgs),
    /// Set the number of replicas of a function.
    Scale(ScaleArgs),
    /// Manage namespaces.
    #[command(visible_alias = "ns")]
    Namespace(NamespaceArgs),
    /// Show the client version and the gateway's.
    Version(VersionArgs),
    /// Wait until the gateway, or a function, is ready.
    Ready(ReadyArgs),
    /// Browse and deploy functions from the function store.
    Store(StoreArgs),
}

/// Which gateway, and how to authenticate.
#[derive(Debug, Clone, Default, Args)]
pub struct GatewayArgs {
    /// Gateway URL (default: the stack's provider.gateway, $OPENFAAS_URL, http://127.0.0.1:8080).
    #[arg(short = 'g', long = "gateway")]
    pub gateway: Option<String>,
    /// Bearer token to send instead of the stored credentials.
    #[arg(short = 'k', long = "token")]
    pub token: Option<String>,
    /// Skip the verification of an https gateway's TLS certificate (self-signed or unknown CA).
    #[arg(long = "tls-no-verify")]
    pub tls_no_verify: bool,
}

/// Which stack file, and which of its functions.
#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    /// Stack file: a path or an http(s) URL (default ./stack.yml when present).
    #[arg(short = 'f', long = "yaml")]
    pub yaml: Option<String>,
    /// Only functions whose names match this wildcard pattern.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only functions whose names match this regular expression.
    #[arg(long)]
    pub regex: Option<String>,
    /// Substitute ${VAR} environment variables in the stack file.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub envsubst: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn faas_cli_invocations_parse() {
        for line in [
            "faas login --password-stdin",
            "faas login --username admin --password-stdin -g http://x:8080",
            "faas store list --platform armhf",
            "faas store deploy --platform armhf figlet",
            "faas invoke figlet",
            "faas new --lang python hello-python",
            "faas build -f ./hello-python.yml",
            "faas push -f ./hello-python.yml",
            "faas deploy -f ./hello-python.yml",
            "faas list",
            "faas template store pull bash-streaming",
            "faas new --lang bash-streaming printr",
            "faas up -f printr.yml",
            "faas new --list",
            "faas template pull",
            "faas template store list",
            "faas template store list --platform armhf",
            "faas logs figlet --follow=false --tail 5",
            "faas list -v",
        ] {
            let args: Vec<&str> = line.split(' ').collect();
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("{line}: {e}");
            }
        }
    }
}
