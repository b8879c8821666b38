//! Reads OpenFaaS `stack.yml` files the way faas-cli 0.16 does (`docs/stack.md`), plus the
//! documents around them: language templates, the function store and the template store; and
//! plans the `build/<fn>/` folders images are built from.
//!
//! What it is **not**: it does no network I/O (a URL `-f` or store is fetched by the CLI and
//! handed over as text), runs no builder, and never prints — warnings come back in results.
//!
//! # From a file to deployments and build folders
//!
//! ```no_run
//! # fn main() -> Result<(), faas_stack::Error> {
//! use std::path::Path;
//! use faas_stack::*;
//!
//! let loaded = read_stack_file(Path::new("stack.yml"), LoadOptions::new(&ProcessEnvironment))?;
//! let stack = &loaded.stack;
//! let selected = select_functions(stack, None, None)?;
//! let inputs = DeployInputs { base_dir: Path::new("."), templates_dir: Some(Path::new("template")) };
//! let deployments = deployments(&selected, inputs, &DeployOverrides::default())?;
//! for function in selected {
//!     let template = function_template(function, Path::new("template"))?;
//!     if let Some(plan) = plan_build_context(Path::new("."), stack, function, template.as_ref(), &[])? {
//!         write_build_context(&plan)?;
//!     }
//! }
//! # let _ = deployments; Ok(()) }
//! ```
//!
//! # Layout
//! - [`load`]: find and read a stack file: substitution, first YAML document, validation.
//! - [`substitution`]: the `${VAR}` text pre-pass.
//! - [`schema`]: [`StackFile`], [`Function`] and where each field came from.
//! - [`validate`]: provider, version and name rules.
//! - [`merge`]: stack function + flags → [`faas_core::FunctionDeployment`].
//! - [`selection`]: `--filter` / `--regex`.
//! - [`template`]: `template.yml` and `template/<lang>/`.
//! - [`build_args`]: `--build-arg` values and `ADDITIONAL_PACKAGE`.
//! - [`build_context`]: the `build/<fn>/` folder.
//! - [`store`], [`template_store`]: the function and template store documents.
//! - [`error`]: [`Error`]; every error names file, line, column and field.

#![deny(missing_docs)]

pub mod build_args;
pub mod build_context;
pub mod error;
mod key_path;
pub mod load;
pub mod merge;
mod raw;
pub mod schema;
pub mod selection;
pub mod store;
pub mod substitution;
pub mod template;
pub mod template_store;
pub mod validate;

pub use build_args::{additional_packages, build_arguments, BuildOverrides, ADDITIONAL_PACKAGE};
pub use build_context::{plan_build_context, write_build_context, BuildContextPlan, CopyStep};
pub use error::{Error, Origin, Position, Warning};
pub use load::{find_stack_file, parse_stack, read_stack_file, LoadOptions, LoadedStack};
pub use merge::{
    deployment, deployments, image_with_default_tag, read_environment_files, stack_deployments,
    DeployInputs, DeployOverrides,
};
pub use schema::{Configuration, Function, Provider, SourceMap, StackFile, TemplateSource};
pub use selection::select_functions;
pub use store::{parse_function_store, FunctionStore, StoreFunction};
pub use substitution::{substitute, Environment, ProcessEnvironment};
pub use template::{function_template, template_fprocess, Template, TemplateSpec};
pub use template_store::{list_templates, parse_template_store, TemplateStoreEntry};
pub use validate::{validate_for_deploy, validate_for_push, validate_stack};
