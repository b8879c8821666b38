//! Reading stack files: the seed's files, the whole schema, and errors with line numbers.

use faas_stack::{
    find_stack_file, read_stack_file, select_functions, Error, LoadOptions, Position,
};

use crate::{fixture, fixtures, no_env, parse, parse_fixture};

#[test]
fn seed_hello_python() {
    let loaded = parse_fixture("hello-python.yml").unwrap();
    assert!(loaded.warnings.is_empty());
    let stack = loaded.stack;
    assert_eq!(stack.version.as_deref(), Some("1.0"));
    assert_eq!(stack.provider.name, "openfaas");
    assert_eq!(
        stack.provider.gateway.as_deref(),
        Some("http://192.168.0.107:8080")
    );
    let f = stack.function("hello-python").unwrap();
    assert_eq!(f.lang.as_deref(), Some("python"));
    assert_eq!(f.handler.as_deref(), Some("./hello-python"));
    assert_eq!(f.image.as_deref(), Some("user/hello-python:latest"));
    assert_eq!(f.origin("image").position, Some(Position::new(9, 12)));
}

#[test]
fn seed_printr_environment() {
    let stack = parse_fixture("printr.yml").unwrap().stack;
    let f = stack.function("printr").unwrap();
    assert_eq!(f.lang.as_deref(), Some("bash-streaming"));
    for key in ["write_timeout", "read_timeout", "exec_timeout"] {
        assert_eq!(f.environment[key], "1m");
    }
}

#[test]
fn functions_keep_file_order() {
    let stack = parse_fixture("seed-stack.yml").unwrap().stack;
    let names: Vec<&str> = stack.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["printr", "hello-python"]);
    assert_eq!(stack.configuration.copy, ["./common"]);
}

#[test]
fn whole_schema_with_anchors_and_merge_keys() {
    let stack = parse_fixture("full.yml").unwrap().stack;
    let zeta = stack.function("zeta").unwrap();
    assert_eq!(zeta.environment["exec_timeout"], "1m");
    assert_eq!(
        zeta.environment["ratio"], "1.10",
        "numbers keep their source text"
    );
    assert_eq!(zeta.environment["count"], "3");
    assert_eq!(
        zeta.labels["com.openfaas.scale.min"], "2",
        "merged from the anchor"
    );
    assert_eq!(zeta.environment_file, ["env.yml"]);
    assert_eq!(zeta.secrets, ["api-key"]);
    assert_eq!(zeta.annotations["topic"], "cron-function");
    let limits = zeta.limits.as_ref().unwrap();
    assert_eq!(
        (limits.memory.as_deref(), limits.cpu.as_deref()),
        (Some("128Mi"), Some("200m"))
    );
    assert_eq!(
        zeta.requests.as_ref().unwrap().memory.as_deref(),
        Some("64Mi")
    );
    assert_eq!(zeta.constraints.as_deref(), Some(&[][..]));
    assert!(zeta.readonly_root_filesystem);
    assert_eq!(zeta.namespace.as_deref(), Some("dev"));
    assert_eq!(zeta.build_args["PYTHON_VERSION"], "3.11");
    assert_eq!(zeta.build_options, ["dev"]);
    assert!(!zeta.skip_build);
    assert_eq!(zeta.platforms.as_deref(), Some("linux/amd64,linux/arm64"));
    assert_eq!(zeta.build_secrets["token"], "./token.txt");
    assert_eq!(zeta.fprocess.as_deref(), Some("python3 index.py"));

    let alpha = stack.function("alpha").unwrap();
    assert_eq!(
        alpha.environment["write_debug"], "true",
        "booleans become strings"
    );
    assert!(alpha.constraints.is_none());

    let templates = &stack.configuration.templates;
    assert_eq!(templates[0].name, "python3-http");
    assert!(templates[0]
        .source
        .as_deref()
        .unwrap()
        .ends_with("python-flask-template"));
    assert_eq!(templates[1].source, None);
}

#[test]
fn version_float_is_the_string_one_point_zero() {
    let stack = parse("s.yml", "version: 1.0\nprovider: {name: openfaas}\n")
        .unwrap()
        .stack;
    assert_eq!(stack.version.as_deref(), Some("1.0"));
    assert!(stack.functions.is_empty());
}

fn error_of(name: &str) -> Error {
    parse_fixture(name).unwrap_err()
}

fn line_of(err: &Error) -> u32 {
    err.origin().position.expect("a position").line
}

#[test]
fn duplicate_keys_give_the_line() {
    let err = error_of("duplicate-key.yml");
    assert!(matches!(err, Error::Syntax { .. }));
    assert_eq!(line_of(&err), 7);
    let text = err.to_string();
    assert!(
        text.starts_with("duplicate-key.yml:7:3: functions.f:"),
        "{text}"
    );
    assert!(text.contains("already defined"), "{text}");
}

#[test]
fn environment_as_a_list_is_explained() {
    let err = error_of("environment-list.yml");
    assert_eq!(line_of(&err), 8);
    let text = err.to_string();
    assert!(text.contains("functions.f.environment"), "{text}");
    assert!(
        text.contains("cannot unmarshal !!seq into map[string]string"),
        "{text}"
    );
}

#[test]
fn provider_must_be_openfaas() {
    let err = error_of("bad-provider.yml");
    assert_eq!(
        err.to_string(),
        "bad-provider.yml:3:9: provider.name: ['openfaas'] is the only valid \"provider.name\" for the OpenFaaS CLI, but you gave: \"faas\"; set `provider: {name: openfaas}`"
    );
    let err = parse("none.yml", "functions: {}\n").unwrap_err();
    assert!(
        err.to_string().starts_with("none.yml:1:1: provider.name:"),
        "{err}"
    );
}

#[test]
fn version_must_be_one_point_zero() {
    let err = error_of("bad-version.yml");
    assert_eq!(line_of(&err), 1);
    assert!(err.to_string().contains("found: 2.0"), "{err}");
}

#[test]
fn function_names_are_dns_labels() {
    let err = error_of("bad-name.yml");
    assert_eq!(err.origin().position, Some(Position::new(7, 3)));
    assert!(
        err.to_string()
            .contains("functions.Bad_Name: function name \"Bad_Name\""),
        "{err}"
    );
}

#[test]
fn namespaces_and_secrets_are_checked_with_lines() {
    let text = "provider: {name: openfaas}\nfunctions:\n  f:\n    namespace: Dev\n";
    let err = parse("s.yml", text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("s.yml:4:16: functions.f.namespace: namespace \"Dev\""),
        "{err}"
    );
    let text =
        "provider: {name: openfaas}\nfunctions:\n  f:\n    secrets:\n      - ok\n      - ../etc\n";
    let err = parse("s.yml", text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("s.yml:6:9: functions.f.secrets[1]:"),
        "{err}"
    );
}

#[test]
fn yaml_syntax_errors_give_line_and_field() {
    let err = error_of("bad-indent.yml");
    assert!(matches!(err, Error::Syntax { .. }));
    assert_eq!(line_of(&err), 7, "{err}");
    let err = parse(
        "s.yml",
        "provider:\n  name: openfaas\nfunctions:\n  f:\n    image: [x\n",
    )
    .unwrap_err();
    assert_eq!(line_of(&err), 5, "{err}");
    assert!(err.to_string().contains("functions.f.image"), "{err}");
    let err = parse("s.yml", "provider: {name: openfaas}\nfunctions:\n  - f\n").unwrap_err();
    assert_eq!(line_of(&err), 3, "{err}");
    assert!(err.to_string().contains("not a list"), "{err}");
}

#[test]
fn wrong_types_are_reported_at_the_value() {
    let err = parse(
        "s.yml",
        "provider: {name: openfaas}\nfunctions:\n  f:\n    skip_build: maybe\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "s.yml:4:17: functions.f.skip_build: expected true or false"
    );
    let err = parse(
        "s.yml",
        "provider: {name: openfaas}\nfunctions:\n  f:\n    secrets: {a: b}\n",
    )
    .unwrap_err();
    assert_eq!(line_of(&err), 4, "{err}");
}

#[test]
fn only_the_first_document_is_read_with_a_warning() {
    let loaded = parse_fixture("multi-doc.yml").unwrap();
    assert_eq!(loaded.stack.functions.len(), 1);
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].origin.position.unwrap().line, 7);
    let quiet = parse("s.yml", "---\nprovider: {name: openfaas}\n---\n").unwrap();
    assert!(quiet.warnings.is_empty());
}

#[test]
fn empty_function_entry_is_kept() {
    let stack = parse("s.yml", "provider: {name: openfaas}\nfunctions:\n  f:\n")
        .unwrap()
        .stack;
    assert_eq!(stack.functions[0].name, "f");
    assert!(stack.functions[0].image.is_none());
}

#[test]
fn reading_files_and_discovery() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(find_stack_file(dir.path()), None);
    std::fs::write(dir.path().join("stack.yaml"), fixture("hello-python.yml")).unwrap();
    assert_eq!(
        find_stack_file(dir.path()),
        Some(dir.path().join("stack.yaml"))
    );
    std::fs::write(dir.path().join("stack.yml"), fixture("printr.yml")).unwrap();
    let path = find_stack_file(dir.path()).unwrap();
    assert!(path.ends_with("stack.yml"));
    let loaded = read_stack_file(&path, LoadOptions::new(&no_env)).unwrap();
    assert_eq!(loaded.stack.functions[0].name, "printr");

    let missing =
        read_stack_file(&dir.path().join("nope.yml"), LoadOptions::new(&no_env)).unwrap_err();
    assert!(missing.is_not_found());
    assert!(missing.to_string().contains("nope.yml"));
    let _ = fixtures();
}

#[test]
fn filter_and_regex_selection() {
    let stack = parse_fixture("full.yml").unwrap().stack;
    let names =
        |fs: Vec<&faas_stack::Function>| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(select_functions(&stack, None, None).unwrap()),
        ["zeta", "alpha"]
    );
    assert_eq!(
        names(select_functions(&stack, Some("z*"), None).unwrap()),
        ["zeta"]
    );
    assert_eq!(
        names(select_functions(&stack, None, Some("ph")).unwrap()),
        ["alpha"]
    );
    let both = select_functions(&stack, Some("*"), Some(".")).unwrap_err();
    assert!(both
        .to_string()
        .contains("pass in a regex or a filter, not both"));
    let none = select_functions(&stack, Some("nope*"), None).unwrap_err();
    assert!(matches!(none, Error::NoMatchingFunctions { .. }));
    assert!(none
        .to_string()
        .contains("no functions matching --filter/--regex were found in the YAML file"));
    assert!(select_functions(&stack, None, Some("(")).is_err());
}
