//! The install manifests in `deploy/k8s/`: RBAC grants exactly the provider's access table,
//! and the gateway, its Services and its Secret are wired as the tutorial expects.

use std::collections::BTreeSet;
use std::path::PathBuf;

use faas_provider_k8s::rbac::{ApiAccess, CLUSTER_ACCESS, FUNCTION_NAMESPACE_ACCESS};
use serde_json::Value;

type Rule = (String, String, String);

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/k8s")
}

/// Every object of every `.yaml` file directly in `dir`.
fn objects(dir: &PathBuf) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            serde_saphyr::from_multiple::<Value>(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn rules_of(role: &Value) -> BTreeSet<Rule> {
    let mut out = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        for group in rule["apiGroups"].as_array().unwrap() {
            for resource in rule["resources"].as_array().unwrap() {
                for verb in rule["verbs"].as_array().unwrap() {
                    out.insert((
                        group.as_str().unwrap().to_owned(),
                        resource.as_str().unwrap().to_owned(),
                        verb.as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
    }
    out
}

fn rules_of_table<'a>(tables: impl IntoIterator<Item = &'a ApiAccess>) -> BTreeSet<Rule> {
    tables
        .into_iter()
        .flat_map(|a| {
            a.verbs
                .iter()
                .map(|v| (a.group.to_owned(), a.resource.to_owned(), (*v).to_owned()))
        })
        .collect()
}

#[test]
fn role_grants_exactly_the_function_namespace_access() {
    let objects = objects(&deploy_dir());
    let role = find(&objects, "Role", "faas-k8s");
    assert_eq!(role["metadata"]["namespace"], "openfaas-fn");
    assert_eq!(rules_of(role), rules_of_table(FUNCTION_NAMESPACE_ACCESS));
    assert!(
        !objects.iter().any(|o| o["kind"] == "ClusterRole"),
        "the default install needs no cluster-wide grant"
    );
    let binding = find(&objects, "RoleBinding", "faas-k8s");
    assert_eq!(binding["metadata"]["namespace"], "openfaas-fn");
    assert_eq!(binding["roleRef"]["name"], "faas-k8s");
    assert_eq!(binding["subjects"][0]["name"], "faas-k8s");
    assert_eq!(binding["subjects"][0]["namespace"], "openfaas");
    find(&objects, "ServiceAccount", "faas-k8s");
}

#[test]
fn cluster_role_grants_exactly_the_multi_namespace_access() {
    let objects = objects(&deploy_dir().join("multi-namespace"));
    let role = find(&objects, "ClusterRole", "faas-k8s-multi-namespace");
    let want = rules_of_table(FUNCTION_NAMESPACE_ACCESS.iter().chain(CLUSTER_ACCESS));
    assert_eq!(rules_of(role), want);
    let binding = find(&objects, "ClusterRoleBinding", "faas-k8s-multi-namespace");
    assert_eq!(binding["subjects"][0]["name"], "faas-k8s");
}

#[test]
fn gateway_is_wired_to_its_secret_and_node_port() {
    let objects = objects(&deploy_dir());
    for ns in ["openfaas", "openfaas-fn"] {
        find(&objects, "Namespace", ns);
    }
    let secret = find(&objects, "Secret", "basic-auth");
    assert_eq!(secret["metadata"]["namespace"], "openfaas");
    for key in ["basic-auth-user", "basic-auth-password"] {
        assert!(secret["stringData"][key].is_string(), "{key}");
    }

    let gateway = find(&objects, "Deployment", "gateway");
    let pod = &gateway["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "faas-k8s");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "faas-k8s:latest");
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let secrets_dir = args
        .iter()
        .find_map(|a| a.strip_prefix("--secrets-dir="))
        .expect("--secrets-dir is set");
    let mount = &container["volumeMounts"][0];
    assert_eq!(mount["mountPath"], secrets_dir);
    let volume = &pod["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    assert_eq!(volume["secret"]["secretName"], "basic-auth");

    let external = find(&objects, "Service", "gateway-external");
    assert_eq!(external["spec"]["type"], "NodePort");
    assert_eq!(external["spec"]["ports"][0]["nodePort"], 31112);
    assert_eq!(
        external["spec"]["selector"],
        gateway["spec"]["template"]["metadata"]["labels"]
    );
}
