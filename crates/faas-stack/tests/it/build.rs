//! Templates and build folders (docs/stack.md §8, §9) in a temporary project.

use std::collections::BTreeSet;
use std::path::Path;

use faas_stack::build_args::build_arguments;
use faas_stack::{
    function_template, plan_build_context, write_build_context, BuildOverrides, CopyStep, Error,
    Template,
};

use crate::{fixture, parse};

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project with the seed's two functions, their templates and a `common` folder.
fn project(root: &Path) {
    write(root, "stack.yml", &fixture("seed-stack.yml"));
    write(root, "template/python/template.yml", "language: python\nfprocess: python index.py\nbuild_options:\n  - name: dev\n    packages: [make, gcc]\n");
    write(root, "template/python/Dockerfile", "FROM python\n");
    write(root, "template/python/index.py", "");
    write(root, "template/python/requirements.txt", "");
    write(root, "template/python/function/__init__.py", "");
    write(root, "template/python/function/handler.py", "skeleton");
    write(root, "template/python/function/requirements.txt", "");
    write(root, "template/bash-streaming/template.yml", "language: bash-streaming\nfprocess: sh ./index.sh\nbuild_options:\n  - name: curl\n    packages: [curl]\n");
    write(root, "template/bash-streaming/Dockerfile", "FROM alpine\n");
    write(root, "template/bash-streaming/.dockerignore", "");
    write(root, "template/bash-streaming/index.sh", "");
    write(
        root,
        "template/bash-streaming/function/handler.sh",
        "skeleton",
    );
    write(
        root,
        "hello-python/handler.py",
        "def handle(req):\n    print(\"Hello! You said: \" + req)\n",
    );
    write(root, "hello-python/requirements.txt", "");
    write(root, "hello-python/build/stale", "");
    write(
        root,
        "printr/handler.sh",
        "#!/bin/sh\nfor i in $(seq 1 10000) ; do  sleep 0.001 &&  echo $i; done\n",
    );
    write(root, "common/shared.txt", "shared");
}

/// Every file and folder under `dir`, relative, `/`-separated, folders ending in `/`.
fn listing(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if path.is_dir() {
                out.insert(format!("{rel}/"));
                walk(base, &path, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn build_folders_match_the_spec_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project(root);
    let stack = parse("stack.yml", &fixture("seed-stack.yml"))
        .unwrap()
        .stack;
    let templates = root.join("template");
    for function in &stack.functions {
        let template = function_template(function, &templates).unwrap().unwrap();
        template.check_buildable().unwrap();
        let plan = plan_build_context(root, &stack, function, Some(&template), &[])
            .unwrap()
            .unwrap();
        write_build_context(&plan).unwrap();
        // Writing twice starts from a clean folder.
        write_build_context(&plan).unwrap();
    }
    let python: Vec<String> = listing(&root.join("build/hello-python"))
        .into_iter()
        .collect();
    assert_eq!(
        python,
        [
            "Dockerfile",
            "function/",
            "function/__init__.py",
            "function/common/",
            "function/common/shared.txt",
            "function/handler.py",
            "function/requirements.txt",
            "index.py",
            "requirements.txt",
            "template.yml",
        ]
    );
    let handler =
        std::fs::read_to_string(root.join("build/hello-python/function/handler.py")).unwrap();
    assert!(
        handler.contains("Hello! You said"),
        "the handler overwrites the skeleton"
    );
    let printr: Vec<String> = listing(&root.join("build/printr")).into_iter().collect();
    assert_eq!(
        printr,
        [
            ".dockerignore",
            "Dockerfile",
            "function/",
            "function/common/",
            "function/common/shared.txt",
            "function/handler.sh",
            "index.sh",
            "template.yml",
        ]
    );
}

#[test]
fn plans_are_pure_and_skip_what_is_not_built() {
    let root = Path::new("/project");
    let text = "provider: {name: openfaas}\nfunctions:\n  d:\n    lang: Dockerfile\n    handler: ./d\n    image: a/d\n  s:\n    lang: python\n    handler: ./s\n    skip_build: true\n  n:\n    image: a/n\nconfiguration:\n  copy: [./common/]\n";
    let stack = parse("stack.yml", text).unwrap().stack;
    let plan = plan_build_context(root, &stack, &stack.functions[0], None, &["extra".into()])
        .unwrap()
        .unwrap();
    assert_eq!(plan.context_dir, root.join("build/d"));
    assert_eq!(
        plan.steps,
        [
            CopyStep::Entries {
                from: root.join("./d"),
                to: root.join("build/d"),
                skip: vec!["build".into(), "template".into()]
            },
            CopyStep::Path {
                from: root.join("common"),
                to: root.join("build/d/function/common")
            },
            CopyStep::Path {
                from: root.join("extra"),
                to: root.join("build/d/function/extra")
            },
        ]
    );
    assert_eq!(
        plan_build_context(root, &stack, &stack.functions[1], None, &[]).unwrap(),
        None
    );
    assert_eq!(
        plan_build_context(root, &stack, &stack.functions[2], None, &[]).unwrap(),
        None
    );
    let outside = plan_build_context(
        root,
        &stack,
        &stack.functions[0],
        None,
        &["../secret".into()],
    )
    .unwrap_err();
    assert!(
        outside
            .to_string()
            .contains("--copy-extra: copy path \"../secret\""),
        "{outside}"
    );
}

#[test]
fn missing_template_and_build_options() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let templates = dir.path().join("template");
    let err = Template::load(&templates, "python3").unwrap_err();
    assert!(matches!(err, Error::Template { .. }));
    assert!(
        err.to_string()
            .contains("please run \"faas template pull\""),
        "{err}"
    );

    let text = "provider: {name: openfaas}\nfunctions:\n  f:\n    lang: python\n    build_args:\n      ADDITIONAL_PACKAGE: git make\n      PYTHON_VERSION: 3.11\n    build_options:\n      - dev\n";
    let stack = parse("stack.yml", text).unwrap().stack;
    let template = function_template(&stack.functions[0], &templates)
        .unwrap()
        .unwrap();
    let args = build_arguments(
        &stack.functions[0],
        Some(&template.spec),
        &BuildOverrides::default(),
    )
    .unwrap();
    assert_eq!(
        args,
        [
            ("PYTHON_VERSION".to_owned(), "3.11".to_owned()),
            ("ADDITIONAL_PACKAGE".to_owned(), "make gcc git".to_owned()),
        ]
    );
    let overrides = BuildOverrides {
        build_options: vec!["gpu".into()],
        ..BuildOverrides::default()
    };
    let err = build_arguments(&stack.functions[0], Some(&template.spec), &overrides).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "stack.yml: --build-option: you're using a build option unavailable for python"
        ),
        "{err}"
    );
}
