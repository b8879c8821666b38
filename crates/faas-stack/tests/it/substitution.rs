//! Every row of the substitution table (docs/stack.md §4), observed with `CMD=cat LOWER=abc
//! EMPTY_VAR=` and `UNSET_VAR` unset.

use std::collections::BTreeMap;

use faas_stack::{parse_stack, substitute, Error, LoadOptions, Position};

fn env() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("CMD", "cat"),
        ("LOWER", "abc"),
        ("EMPTY_VAR", ""),
        ("TAG", "1.2"),
    ])
}

fn sub(text: &str) -> String {
    let vars = env();
    let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
    substitute(text, &lookup).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

#[test]
fn table_rows() {
    let rows = [
        ("${UNSET_VAR:-fallback}", "fallback"),
        ("${EMPTY_VAR:-fallback2}", "fallback2"),
        (
            "${REG:-docker.io/alex}/fn-a:${TAG}",
            "docker.io/alex/fn-a:1.2",
        ),
        ("${UNSET_VAR:-${CMD}}", "cat"),
        ("${UNSET_VAR:-http://x:8080}", "http://x:8080"),
        ("${A:=dflt}", "dflt"),
        ("${A:+alt}", "alt"),
        ("${LOWER^^}", "ABC"),
        ("${LOWER,,}", "abc"),
        ("${#LOWER}", "3"),
        ("${LOWER:1:2}", "bc"),
        ("${LOWER/b/X}", "aXc"),
        ("$CMD", "$CMD"),
        ("$$HOME", "$HOME"),
        ("${CMD}", "cat"),
        ("${UNSET_VAR}", ""),
    ];
    for (input, expected) in rows {
        assert_eq!(sub(input), expected, "{input}");
    }
}

#[test]
fn required_variable_fails_with_its_message() {
    // Upstream prints `err` and goes on; we fail with the message.
    let err = substitute("image: ${A:?err}", &|_: &str| None).unwrap_err();
    assert_eq!(err.message, "err");
    assert_eq!(err.position, Position::new(1, 8));
}

#[test]
fn dash_without_colon_is_missing_closing_brace_with_line() {
    let vars = env();
    let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
    let text = "version: 1.0\nprovider:\n  name: openfaas\n  gateway: ${EMPTY_VAR-fallback3}\n";
    let err = parse_stack("s.yml", text, LoadOptions::new(&lookup)).unwrap_err();
    assert!(matches!(err, Error::Substitution { .. }));
    assert_eq!(err.origin().position, Some(Position::new(4, 12)));
    let message = err.to_string();
    assert!(
        message.starts_with("s.yml:4:12: provider.gateway: missing closing brace"),
        "{message}"
    );
}

#[test]
fn inserted_quotes_break_the_yaml() {
    let text =
        "provider:\n  name: openfaas\nfunctions:\n  f:\n    image: \"${UNSET_VAR:-\"q\"}\"\n";
    let err = parse_stack("s.yml", text, LoadOptions::new(&|_: &str| None)).unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
    assert_eq!(err.origin().position.unwrap().line, 5);
}

#[test]
fn keys_are_substituted_too_and_envsubst_can_be_off() {
    let text = "provider:\n  name: ${P:-openfaas}\nfunctions:\n  ${NAME:-fn-a}:\n    image: ${REG:-docker.io/alex}/fn-a:${TAG}\n";
    let vars = env();
    let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
    let stack = parse_stack("s.yml", text, LoadOptions::new(&lookup))
        .unwrap()
        .stack;
    assert_eq!(stack.functions[0].name, "fn-a");
    assert_eq!(
        stack.functions[0].image.as_deref(),
        Some("docker.io/alex/fn-a:1.2")
    );

    let mut options = LoadOptions::new(&lookup);
    options.envsubst = false;
    let err = parse_stack("s.yml", text, options).unwrap_err();
    assert!(err.to_string().contains("provider.name"), "{err}");
}
