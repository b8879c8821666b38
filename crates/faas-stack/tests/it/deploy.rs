//! From stack functions and flags to FunctionDeployments (docs/stack.md §3, §7).

use std::collections::BTreeMap;
use std::path::Path;

use faas_stack::{
    deployment, deployments, read_environment_files, select_functions, stack_deployments,
    DeployInputs, DeployOverrides, Error,
};

use crate::{fixtures, parse, parse_fixture};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn seed_printr_deployment() {
    let stack = parse_fixture("seed-stack.yml").unwrap().stack;
    let printr = stack.function("printr").unwrap();
    let d = deployment(
        printr,
        &BTreeMap::new(),
        &DeployOverrides::default(),
        Some("sh ./index.sh"),
    )
    .unwrap();
    assert_eq!(d.service, "printr");
    assert_eq!(d.image, "user/printr:latest", ":latest appended");
    assert_eq!(d.env_process.as_deref(), Some("sh ./index.sh"));
    assert_eq!(
        d.env_vars,
        map(&[
            ("exec_timeout", "1m"),
            ("read_timeout", "1m"),
            ("write_timeout", "1m")
        ])
    );
    assert_eq!(d.namespace, None);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["labels"], serde_json::json!({}), "labels always sent");
    assert_eq!(
        json["annotations"],
        serde_json::json!({}),
        "annotations always sent"
    );
}

#[test]
fn merge_precedence() {
    let stack = parse_fixture("full.yml").unwrap().stack;
    let zeta = stack.function("zeta").unwrap();
    let from_files = read_environment_files(zeta, &fixtures()).unwrap();
    assert_eq!(
        from_files,
        map(&[("exec_timeout", "2m"), ("from_file", "yes")])
    );
    let overrides = DeployOverrides {
        env: map(&[("ratio", "flag")]),
        labels: map(&[("com.openfaas.scale.min", "5"), ("extra", "1")]),
        annotations: map(&[("topic", "flag-topic")]),
        secrets: vec!["flag-secret".into(), "api-key".into()],
        constraints: vec!["node.platform.os == linux".into()],
        readonly: false,
        namespace: Some("staging".into()),
    };
    let d = deployment(zeta, &from_files, &overrides, Some("ignored")).unwrap();
    assert_eq!(d.image, "user/zeta:0.1");
    assert_eq!(
        d.env_process.as_deref(),
        Some("python3 index.py"),
        "the stack's fprocess wins"
    );
    assert_eq!(
        d.env_vars["exec_timeout"], "2m",
        "environment_file over environment"
    );
    assert_eq!(d.env_vars["ratio"], "flag", "-e over everything");
    assert_eq!(d.env_vars["count"], "3");
    assert!(
        !d.env_vars.contains_key("write_debug"),
        "merge keys are shallow: zeta's environment replaces the anchor's"
    );
    assert_eq!(
        d.labels,
        map(&[("com.openfaas.scale.min", "5"), ("extra", "1")])
    );
    assert_eq!(d.annotations["topic"], "flag-topic");
    assert_eq!(d.secrets, ["flag-secret", "api-key"], "union, flags first");
    assert!(
        d.constraints.is_empty(),
        "YAML `constraints: []` wins over flags"
    );
    assert!(d.read_only_root_filesystem);
    assert_eq!(d.namespace.as_deref(), Some("staging"));
    assert_eq!(d.limits.as_ref().unwrap().memory.as_deref(), Some("128Mi"));

    let alpha = stack.function("alpha").unwrap();
    let err = deployment(alpha, &BTreeMap::new(), &overrides, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("functions.alpha.image: image is missing"),
        "{err}"
    );
}

#[test]
fn constraints_from_flags_when_the_key_is_absent_and_namespace_from_yaml() {
    let text = "provider: {name: openfaas}\nfunctions:\n  f:\n    image: a/f\n    namespace: dev\n";
    let stack = parse("s.yml", text).unwrap().stack;
    let overrides = DeployOverrides {
        constraints: vec!["x == y".into()],
        readonly: true,
        ..DeployOverrides::default()
    };
    let d = deployment(&stack.functions[0], &BTreeMap::new(), &overrides, None).unwrap();
    assert_eq!(d.constraints, ["x == y"]);
    assert_eq!(d.namespace.as_deref(), Some("dev"));
    assert!(d.read_only_root_filesystem);

    let bad = DeployOverrides {
        namespace: Some("Bad".into()),
        ..DeployOverrides::default()
    };
    let err = deployment(&stack.functions[0], &BTreeMap::new(), &bad, None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("s.yml: --namespace: namespace \"Bad\""),
        "{err}"
    );
}

#[test]
fn empty_image_names_file_line_and_field() {
    let text = "version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  hello-python:\n    lang: python\n    image: \"\"\n";
    let stack = parse("hello-python.yml", text).unwrap().stack;
    let err = deployment(
        &stack.functions[0],
        &BTreeMap::new(),
        &DeployOverrides::default(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "hello-python.yml:7:12: functions.hello-python.image: image is empty; set it to REGISTRY/NAME:TAG"
    );
    assert!(faas_stack::validate_for_push(&stack.functions[0]).is_err());
}

#[test]
fn missing_environment_file_names_it_and_the_stack_line() {
    let text = "provider: {name: openfaas}\nfunctions:\n  f:\n    image: a/f\n    environment_file:\n      - missing.yml\n";
    let stack = parse("s.yml", text).unwrap().stack;
    let err = read_environment_files(&stack.functions[0], Path::new("/nonexistent")).unwrap_err();
    assert!(err.is_not_found());
    assert!(
        err.to_string().starts_with(
            "s.yml:6:9: functions.f.environment_file[0]: cannot read /nonexistent/missing.yml"
        ),
        "{err}"
    );
}

#[test]
fn deployments_read_template_fprocess() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("template");
    std::fs::create_dir_all(templates.join("bash-streaming")).unwrap();
    std::fs::write(
        templates.join("bash-streaming/template.yml"),
        "language: bash-streaming\nfprocess: sh ./index.sh\n",
    )
    .unwrap();
    let stack = parse_fixture("seed-stack.yml").unwrap().stack;
    let inputs = DeployInputs {
        base_dir: dir.path(),
        templates_dir: Some(&templates),
    };
    let selected = select_functions(&stack, Some("printr"), None).unwrap();
    let ds = deployments(&selected, inputs, &DeployOverrides::default()).unwrap();
    assert_eq!(ds[0].env_process.as_deref(), Some("sh ./index.sh"));

    // hello-python's `python` template is missing: the error points at its lang line.
    let err = stack_deployments(&stack, inputs, &DeployOverrides::default()).unwrap_err();
    assert!(matches!(err, Error::Template { .. }));
    assert!(err.to_string().starts_with("seed-stack.yml:15:11: functions.hello-python.lang: template directory may be missing or invalid"), "{err}");

    // --read-template=false: no template needed.
    let no_templates = DeployInputs {
        base_dir: dir.path(),
        templates_dir: None,
    };
    let ds = stack_deployments(&stack, no_templates, &DeployOverrides::default()).unwrap();
    assert_eq!(ds.len(), 2);
    assert_eq!(ds[1].env_process, None);
}
