use super::*;

/// The deploy example of docs/api.md §5.1, byte for byte.
const DEPLOY_EXAMPLE: &str = r#"{"service":"echo","image":"ghcr.io/openfaas/alpine:latest","namespace":"openfaas-fn","envProcess":"cat","envVars":{"write_timeout":"10s"},"constraints":["node.platform.os == linux"],"secrets":["api-key"],"labels":{"com.openfaas.scale.max":"5","com.openfaas.scale.min":"1"},"annotations":{"topic":"cron-function"},"limits":{"memory":"128Mi","cpu":"500m"},"requests":{"memory":"64Mi"},"readOnlyRootFilesystem":true}"#;

/// The status example of docs/api.md §5.3, byte for byte.
const STATUS_EXAMPLE: &str = r#"{"name":"echo","image":"ghcr.io/openfaas/alpine:latest","namespace":"openfaas-fn","envProcess":"cat","envVars":{"write_timeout":"10s"},"secrets":["api-key"],"labels":{"com.openfaas.scale.min":"1"},"annotations":{"topic":"cron-function"},"limits":{"memory":"128Mi"},"invocationCount":42,"replicas":1,"availableReplicas":1,"createdAt":"2026-11-25T13:11:03.167198738Z","usage":{"cpu":1.5,"totalMemoryBytes":7340032}}"#;

#[test]
fn deployment_round_trips_byte_for_byte() {
    let d: FunctionDeployment = serde_json::from_str(DEPLOY_EXAMPLE).unwrap();
    assert_eq!(d.service, "echo");
    assert_eq!(d.limits.as_ref().unwrap().cpu.as_deref(), Some("500m"));
    assert!(d.read_only_root_filesystem);
    d.validate().unwrap();
    assert_eq!(serde_json::to_string(&d).unwrap(), DEPLOY_EXAMPLE);
}

#[test]
fn status_round_trips_byte_for_byte() {
    let s: FunctionStatus = serde_json::from_str(STATUS_EXAMPLE).unwrap();
    assert_eq!(s.invocation_count, 42);
    assert_eq!(s.available_replicas, 1);
    assert_eq!(serde_json::to_string(&s).unwrap(), STATUS_EXAMPLE);
}

#[test]
fn faas_cli_minimal_deploy_and_nulls() {
    let d: FunctionDeployment = serde_json::from_str(
        r#"{"service":"figlet","image":"ghcr.io/openfaas/figlet:latest","envProcess":"figlet","labels":{},"annotations":{},"secrets":null,"envVars":null,"unknown":1}"#,
    )
    .unwrap();
    assert_eq!(d.namespace_or_default(), "openfaas-fn");
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"service":"figlet","image":"ghcr.io/openfaas/figlet:latest","envProcess":"figlet","labels":{},"annotations":{}}"#
    );
    assert_eq!(d.effective_env()["fprocess"], "figlet");
}

#[test]
fn gpu_resources_are_kept() {
    let d: FunctionDeployment = serde_json::from_str(
        r#"{"service":"a","image":"i","limits":{"memory":"1Gi","nvidia.com/gpu":"1"}}"#,
    )
    .unwrap();
    assert_eq!(d.limits.as_ref().unwrap().other["nvidia.com/gpu"], "1");
    d.validate().unwrap();
}

#[test]
fn upstream_zero_time_and_float_counts_parse() {
    let s: FunctionStatus = serde_json::from_str(
        r#"{"name":"a","image":"i","namespace":"openfaas-fn","invocationCount":3.0,"replicas":1,"createdAt":"0001-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(s.invocation_count, 3);
    assert_eq!(s.available_replicas, 0);
}

#[test]
fn upstream_usage_omits_zero_fields() {
    let s: FunctionStatus = serde_json::from_str(
        r#"{"name":"a","image":"i","createdAt":"0001-01-01T00:00:00Z","usage":{"totalMemoryBytes":7340032}}"#,
    )
    .unwrap();
    let usage = s.usage.unwrap();
    assert_eq!((usage.cpu, usage.total_memory_bytes), (0.0, 7_340_032.0));
}

#[test]
fn validation_names_the_problem() {
    let base = FunctionDeployment {
        service: "ok".into(),
        image: "img".into(),
        ..Default::default()
    };
    let cases: Vec<(FunctionDeployment, &str)> = vec![
        (
            FunctionDeployment {
                service: "my.fn".into(),
                ..base.clone()
            },
            "my.fn",
        ),
        (
            FunctionDeployment {
                image: " ".into(),
                ..base.clone()
            },
            "no image",
        ),
        (
            FunctionDeployment {
                namespace: Some("Bad_NS".into()),
                ..base.clone()
            },
            "Bad_NS",
        ),
        (
            FunctionDeployment {
                limits: Some(FunctionResources {
                    memory: Some("lots".into()),
                    ..Default::default()
                }),
                ..base.clone()
            },
            "lots",
        ),
        (
            FunctionDeployment {
                labels: [(LABEL_SCALE_MIN.to_owned(), "two".to_owned())].into(),
                ..base.clone()
            },
            "whole number",
        ),
        (
            FunctionDeployment {
                labels: [
                    (LABEL_SCALE_MIN.to_owned(), "3".to_owned()),
                    (LABEL_SCALE_MAX.to_owned(), "2".to_owned()),
                ]
                .into(),
                ..base.clone()
            },
            "below",
        ),
        (
            FunctionDeployment {
                annotations: [("com.openfaas.internal.x".to_owned(), "1".to_owned())].into(),
                ..base.clone()
            },
            "reserved",
        ),
    ];
    for (d, needle) in cases {
        let err = d.validate().unwrap_err();
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
    }
    base.validate().unwrap();
}

#[test]
fn env_process_yields_to_env_var() {
    let d = FunctionDeployment {
        env_process: Some("cat".into()),
        env_vars: [("fprocess".to_owned(), "env".to_owned())].into(),
        ..Default::default()
    };
    assert_eq!(d.effective_env()["fprocess"], "env");
}

#[test]
fn scale_request_rejects_negative_replicas() {
    assert!(serde_json::from_str::<ScaleServiceRequest>(r#"{"replicas":-1}"#).is_err());
    let r: ScaleServiceRequest =
        serde_json::from_str(r#"{"serviceName":"echo","replicas":0}"#).unwrap();
    assert_eq!(r.replicas, 0);
}

#[test]
fn idle_timeout_reads_the_scale_zero_labels() {
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(idle_timeout(&labels(&[])).unwrap(), None);
    assert_eq!(
        idle_timeout(&labels(&[(LABEL_SCALE_ZERO, "false")])).unwrap(),
        None
    );
    assert_eq!(
        idle_timeout(&labels(&[(LABEL_SCALE_ZERO, "true")])).unwrap(),
        Some(DEFAULT_IDLE_TIMEOUT)
    );
    assert_eq!(
        idle_timeout(&labels(&[
            (LABEL_SCALE_ZERO, "true"),
            (LABEL_SCALE_ZERO_DURATION, "1m30s")
        ]))
        .unwrap(),
        Some(std::time::Duration::from_secs(90))
    );
    for bad in [
        labels(&[(LABEL_SCALE_ZERO, "yes")]),
        labels(&[
            (LABEL_SCALE_ZERO, "true"),
            (LABEL_SCALE_ZERO_DURATION, "soon"),
        ]),
        labels(&[
            (LABEL_SCALE_ZERO, "true"),
            (LABEL_SCALE_ZERO_DURATION, "0s"),
        ]),
    ] {
        let err = FunctionDeployment {
            service: "echo".into(),
            image: "echo:1".into(),
            labels: bad.clone(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("com.openfaas.scale.zero"), "{err}");
    }
}
