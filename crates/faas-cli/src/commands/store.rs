//! `faas store list|inspect|deploy`: the function store (docs/stack.md §11) from a path, a file://
//! URL or an http(s) URL.

use faas_stack::{FunctionStore, StoreFunction};

use super::ExitStatus;
use crate::cli::{StoreDeployArgs, StoreSourceArgs};
use crate::error::{During as _, Error};
use crate::fetch::fetch_text;
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// The upstream store document (needs internet; pass `-u FILE` offline).
pub const DEFAULT_STORE_URL: &str =
    "https://raw.githubusercontent.com/openfaas/store/master/functions.json";

async fn load(source: &StoreSourceArgs) -> Result<FunctionStore, Error> {
    let text = fetch_text(&source.url)
        .await
        .during(|| format!("reading the function store {}", source.url))?;
    Ok(faas_stack::parse_function_store(&source.url, &text)?)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!(
            "{}...",
            text.chars().take(max.saturating_sub(3)).collect::<String>()
        )
    }
}

/// `store list`.
pub async fn list(source: &StoreSourceArgs, verbose: bool) -> Result<ExitStatus, Error> {
    let store = load(source).await?;
    let functions = store.for_platform(&source.url, &source.platform)?;
    let mut rows = vec![vec![
        "FUNCTION".to_owned(),
        "AUTHOR".to_owned(),
        "DESCRIPTION".to_owned(),
    ]];
    for f in functions {
        let description = if verbose {
            f.title.clone()
        } else {
            shorten(&f.title, 40)
        };
        rows.push(vec![
            f.name.clone(),
            f.author_or_unknown().to_owned(),
            description,
        ]);
    }
    for line in output::table(&rows, 2) {
        output::line(line);
    }
    Ok(ExitStatus::Success)
}

fn find<'a>(
    store: &'a FunctionStore,
    name: &str,
    source: &StoreSourceArgs,
) -> Result<&'a StoreFunction, Error> {
    let function = store.find(name).ok_or_else(|| {
        Error::usage(format!(
            "function {name:?} is not in the store {}",
            source.url
        ))
    })?;
    if function.image_for(&source.platform).is_none() {
        let platforms: Vec<&str> = function.images.keys().map(String::as_str).collect();
        return Err(Error::usage(format!(
            "function {name:?} has no image for platform {:?}; it has: {}",
            source.platform,
            platforms.join(", ")
        )));
    }
    Ok(function)
}

/// `store inspect NAME`.
pub async fn inspect(name: &str, source: &StoreSourceArgs) -> Result<ExitStatus, Error> {
    let store = load(source).await?;
    let f = find(&store, name, source)?;
    let rows = [
        ("Title:", f.title.clone()),
        ("Name:", f.name.clone()),
        ("Author:", f.author_or_unknown().to_owned()),
        ("Description:", f.description.clone()),
        (
            "Image:",
            f.image_for(&source.platform).unwrap_or_default().to_owned(),
        ),
        ("Process:", f.fprocess.clone()),
        ("Repo URL:", f.repo_url.clone()),
    ];
    for (label, value) in rows {
        output::line(format!("{label:<14}{value}"));
    }
    Ok(ExitStatus::Success)
}

/// `store deploy NAME`: PUT then POST exactly the docs/stack.md §11 body.
pub async fn deploy(ctx: &Context, args: &StoreDeployArgs) -> Result<ExitStatus, Error> {
    let store = load(&args.source).await?;
    let f = find(&store, &args.name, &args.source)?;
    let overrides = super::deploy::overrides(&args.deploy)?;
    let mut deployment = f
        .deployment(&args.source.platform, &overrides)
        .ok_or_else(|| {
            Error::usage(format!(
                "no image of {} for {}",
                args.name, args.source.platform
            ))
        })?;
    if let Some(name) = &args.name_override {
        deployment.service = name.clone();
    }
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, None)?);
    super::deploy::send(
        &client,
        &[deployment],
        &args.deploy,
        super::deploy::Announce::Quietly,
    )
    .await?;
    Ok(ExitStatus::Success)
}
