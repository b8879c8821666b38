//! The `--build-arg` list of a function's image build, including `ADDITIONAL_PACKAGE` from its
//! build options (docs/stack.md §9).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::schema::Function;
use crate::template::TemplateSpec;

/// The build argument that carries extra packages into template Dockerfiles.
pub const ADDITIONAL_PACKAGE: &str = "ADDITIONAL_PACKAGE";

/// What `build` / `up` flags add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOverrides {
    /// `--build-arg K=V`: win over YAML `build_args`.
    pub build_args: BTreeMap<String, String>,
    /// `-o/--build-option NAME`: added after YAML `build_options`.
    pub build_options: Vec<String>,
}

/// `ADDITIONAL_PACKAGE`: the packages of `options` (in order, from `spec`), then the words of
/// `user_value` (a user `ADDITIONAL_PACKAGE` build arg), without duplicates, space-joined.
/// `None` when there is nothing to add. `Err(name)` names an option the template lacks.
pub fn additional_packages<'a>(
    spec: &TemplateSpec,
    options: impl IntoIterator<Item = &'a str>,
    user_value: Option<&str>,
) -> Result<Option<String>, String> {
    let mut packages: Vec<&str> = Vec::new();
    for name in options {
        let option = spec.build_option(name).ok_or_else(|| name.to_owned())?;
        packages.extend(option.packages.iter().map(String::as_str));
    }
    packages.extend(user_value.unwrap_or_default().split_whitespace());
    let mut unique: Vec<&str> = Vec::new();
    for package in packages {
        if !package.is_empty() && !unique.contains(&package) {
            unique.push(package);
        }
    }
    Ok((!unique.is_empty()).then(|| unique.join(" ")))
}

/// The build arguments of `function`, in the order they are passed: YAML `build_args` merged
/// under `--build-arg` (sorted by name), then `ADDITIONAL_PACKAGE` when build options or a user
/// value give one. `spec` is the function's template (`None` for `dockerfile`, where build
/// options cannot be used).
pub fn build_arguments(
    function: &Function,
    spec: Option<&TemplateSpec>,
    overrides: &BuildOverrides,
) -> Result<Vec<(String, String)>, Error> {
    let mut args = function.build_args.clone();
    args.extend(
        overrides
            .build_args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let user_packages = args.remove(ADDITIONAL_PACKAGE);
    let options: Vec<&str> = function
        .build_options
        .iter()
        .chain(&overrides.build_options)
        .map(String::as_str)
        .collect();
    let empty = TemplateSpec::default();
    let packages = additional_packages(spec.unwrap_or(&empty), options, user_packages.as_deref())
        .map_err(|unknown| {
        let index = function.build_options.iter().position(|o| *o == unknown);
        let origin = match index {
            Some(i) => function.origin(&format!("build_options[{i}]")),
            None => crate::error::Origin::new(function.source.file.clone(), None, "--build-option"),
        };
        let lang = function.lang.as_deref().unwrap_or_default();
        let available: Vec<&str> = spec
            .map(|s| s.build_options.iter().map(|o| o.name.as_str()).collect())
            .unwrap_or_default();
        Error::invalid(
            origin,
            format!(
                "you're using a build option unavailable for {lang}: {unknown:?}; available: [{}]",
                available.join(", ")
            ),
        )
    })?;
    let mut list: Vec<(String, String)> = args.into_iter().collect();
    if let Some(packages) = packages {
        list.push((ADDITIONAL_PACKAGE.to_owned(), packages));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::BuildOption;

    fn python3() -> TemplateSpec {
        TemplateSpec {
            build_options: vec![BuildOption {
                name: "dev".into(),
                packages: vec!["make".into(), "gcc".into(), "git".into()],
            }],
            ..TemplateSpec::default()
        }
    }

    #[test]
    fn packages_then_user_words_deduplicated() {
        let got = additional_packages(&python3(), ["dev"], Some("git  curl make")).unwrap();
        assert_eq!(got.as_deref(), Some("make gcc git curl"));
        assert_eq!(additional_packages(&python3(), [], None).unwrap(), None);
        assert_eq!(
            additional_packages(&python3(), ["nope"], None).unwrap_err(),
            "nope"
        );
    }

    #[test]
    fn flags_win_and_additional_package_comes_last() {
        let function = Function {
            name: "f".into(),
            lang: Some("python3".into()),
            build_args: [("PYTHON_VERSION".to_owned(), "3.10".to_owned())].into(),
            build_options: vec!["dev".into()],
            ..Function::default()
        };
        let overrides = BuildOverrides {
            build_args: [("PYTHON_VERSION".to_owned(), "3.11".to_owned())].into(),
            build_options: vec![],
        };
        let args = build_arguments(&function, Some(&python3()), &overrides).unwrap();
        assert_eq!(
            args,
            [
                ("PYTHON_VERSION".to_owned(), "3.11".to_owned()),
                (ADDITIONAL_PACKAGE.to_owned(), "make gcc git".to_owned())
            ]
        );
        let bad = Function {
            build_options: vec!["gpu".into()],
            ..function
        };
        let err = build_arguments(&bad, Some(&python3()), &overrides).unwrap_err();
        assert!(err.to_string().contains("unavailable for python3"), "{err}");
    }
}
