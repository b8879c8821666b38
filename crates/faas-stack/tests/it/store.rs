//! The function store (docs/stack.md §11) and template store (docs/stack.md §12) documents.

use faas_stack::store::store_platform;
use faas_stack::template_store::find_template;
use faas_stack::{
    list_templates, parse_function_store, parse_template_store, DeployOverrides, Error,
};

use crate::fixture;

#[test]
fn function_store_platforms_and_deploy() {
    let store = parse_function_store("functions.json", &fixture("function-store.json")).unwrap();
    assert_eq!(store.version, "0.2.1");
    let x86: Vec<&str> = store
        .for_platform("functions.json", "x86_64")
        .unwrap()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(x86, ["sleep", "figlet"]);
    let arm: Vec<&str> = store
        .for_platform("functions.json", "linux/arm64")
        .unwrap()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        arm,
        ["sleep", "figlet", "only-arm"],
        "case-insensitive, buildx names mapped"
    );
    let err = store.for_platform("functions.json", "foo").unwrap_err();
    assert!(err.to_string().ends_with("no functions found in the store for platform 'foo', try one of the following: arm64, armhf, x86_64"), "{err}");

    let figlet = store.find("figlet").unwrap();
    assert_eq!(
        figlet.image_for("X86_64"),
        Some("ghcr.io/openfaas/figlet:latest"),
        "no case-sensitivity defect"
    );
    assert_eq!(
        figlet.image_for("armhf"),
        Some("ghcr.io/openfaas/figlet:latest-armhf")
    );
    let d = figlet
        .deployment("x86_64", &DeployOverrides::default())
        .unwrap();
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"service":"figlet","image":"ghcr.io/openfaas/figlet:latest","envProcess":"figlet","labels":{},"annotations":{}}"#
    );
    let sleep = store.find("sleep").unwrap();
    let overrides = DeployOverrides {
        env: [("write_timeout".to_owned(), "5s".to_owned())].into(),
        ..DeployOverrides::default()
    };
    let d = sleep.deployment("armhf", &overrides).unwrap();
    assert_eq!(d.env_vars["write_timeout"], "5s");
    assert!(d.read_only_root_filesystem);
    assert_eq!(
        store.find("Only ARM").unwrap().author_or_unknown(),
        "unknown"
    );
    assert_eq!(store_platform("linux/arm/v6"), "armhf");
}

#[test]
fn legacy_array_store_is_rejected() {
    let err = parse_function_store("old.json", "\n [{\"name\": \"figlet\"}]").unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }));
    assert!(
        err.to_string()
            .starts_with("old.json:2:2: this is the legacy function store format"),
        "{err}"
    );
}

#[test]
fn template_store_listing_order_and_lookup() {
    let entries = parse_template_store("templates.json", &fixture("template-store.json")).unwrap();
    assert_eq!(entries[0].official, "true");
    let listed: Vec<&str> = list_templates(&entries, "x86_64")
        .iter()
        .map(|e| e.template.as_str())
        .collect();
    assert_eq!(listed, ["bash-streaming", "python3-http", "Ada", "zig"]);
    let armhf: Vec<&str> = list_templates(&entries, "ARMHF")
        .iter()
        .map(|e| e.template.as_str())
        .collect();
    assert_eq!(armhf, ["python3-http"]);
    let found = find_template(&entries, "openfaas-incubator/bash-streaming", "x86_64").unwrap();
    assert!(found.repo.ends_with("openfaas-streaming-templates"));
    assert!(find_template(&entries, "other/bash-streaming", "x86_64").is_none());
    assert!(parse_template_store("t.json", "{\"a\": 1}").is_err());
    let err = parse_template_store("t.json", "[{\"official\": true}]").unwrap_err();
    assert!(
        err.to_string().starts_with("t.json:1:"),
        "official must be a string: {err}"
    );
}
