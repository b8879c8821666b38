//! One file per command; [`run`] only delegates. Each command returns [`ExitStatus`] or an
//! [`Error`] that `main` prints once.

use crate::cli::{Cli, Command, NamespaceCommand, SecretCommand, StoreCommand, TemplateCommand};
use crate::error::Error;
use crate::settings::Context;

pub mod build;
pub mod deploy;
pub mod describe;
pub mod invoke;
pub mod list;
pub mod login;
pub mod logout;
pub mod logs;
pub mod namespace;
pub mod new;
pub mod project;
pub mod push;
pub mod ready;
pub mod remove;
pub mod scale;
pub mod secret;
pub mod store;
pub mod template;
pub mod up;
pub mod version;

/// How a command ended when it did not fail with an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked: exit 0.
    Success,
    /// The command reported its own failure already: exit 1 without another message.
    Failure,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli, ctx: &Context) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Login(args) => login::login(ctx, &args).await,
        Command::Logout(args) => logout::logout(ctx, &args).await,
        Command::New(args) => new::new(ctx, &args).await,
        Command::Template(args) => match args.command {
            TemplateCommand::Pull(pull) => template::pull(ctx, &pull).await,
            TemplateCommand::Store(store) => template::store(ctx, store.command).await,
        },
        Command::Build(args) => build::build(ctx, &args).await,
        Command::Push(args) => push::push(ctx, &args).await,
        Command::Deploy(args) => deploy::deploy(ctx, &args).await,
        Command::Up(args) => up::up(ctx, &args).await,
        Command::Invoke(args) => invoke::invoke(ctx, &args).await,
        Command::List(args) => list::list(ctx, &args).await,
        Command::Describe(args) => describe::describe(ctx, &args).await,
        Command::Remove(args) => remove::remove(ctx, &args).await,
        Command::Logs(args) => logs::logs(ctx, &args).await,
        Command::Secret(args) => match args.command {
            SecretCommand::Create(value) => secret::save(ctx, &value, false).await,
            SecretCommand::Update(value) => secret::save(ctx, &value, true).await,
            SecretCommand::List { gateway, namespace } => {
                secret::list(ctx, &gateway, namespace.as_deref()).await
            }
            SecretCommand::Remove {
                name,
                gateway,
                namespace,
            } => secret::remove(ctx, &name, &gateway, namespace.as_deref()).await,
        },
        Command::Scale(args) => scale::scale(ctx, &args).await,
        Command::Namespace(args) => match args.command {
            NamespaceCommand::List { gateway } => namespace::list(ctx, &gateway).await,
            NamespaceCommand::Create { name, gateway } => {
                namespace::create(ctx, &name, &gateway).await
            }
            NamespaceCommand::Remove { name, gateway } => {
                namespace::remove(ctx, &name, &gateway).await
            }
        },
        Command::Version(args) => version::version(ctx, &args).await,
        Command::Ready(args) => ready::ready(ctx, &args).await,
        Command::Store(args) => match args.command {
            StoreCommand::List { source, verbose } => store::list(&source, verbose).await,
            StoreCommand::Inspect { name, source } => store::inspect(&name, &source).await,
            StoreCommand::Deploy(deploy) => store::deploy(ctx, &deploy).await,
        },
    }
}

/// Reads all of stdin (on a blocking thread: stdin is not async here).
pub(crate) async fn read_stdin() -> Result<Vec<u8>, Error> {
    use std::io::Read as _;
    let read = tokio::task::spawn_blocking(|| {
        let mut buffer = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buffer)
            .map(|_| buffer)
    })
    .await
    .map_err(|e| Error::io("read", "stdin", std::io::Error::other(e)))?;
    read.map_err(|e| Error::io("read", "stdin", e))
}

/// A stack file for commands where it is optional and only gives the gateway (`-f` or
/// `./stack.yml`).
pub(crate) async fn optional_stack(
    ctx: &Context,
    yaml: Option<&str>,
) -> Result<Option<faas_stack::StackFile>, Error> {
    let args = crate::cli::StackArgs {
        yaml: yaml.map(str::to_owned),
        filter: None,
        regex: None,
        envsubst: true,
    };
    ctx.stack(&args).await
}
