//! `GET /system/logs` (docs/api.md §9).

use std::time::Duration;

use faas_core::LogMessage;
use http::Method;
use http_body_util::BodyExt as _;

use crate::support::{no_body, start, BASIC};

fn line(n: u32) -> LogMessage {
    LogMessage {
        name: "figlet".into(),
        namespace: "openfaas-fn".into(),
        instance: "figlet-1".into(),
        timestamp: format!("2026-11-25T13:00:0{n}.123456Z").parse().unwrap(),
        text: format!("line {n}"),
    }
}

#[tokio::test]
async fn past_lines_as_ndjson() {
    let gw = start().await;
    gw.deploy("figlet", &[], &[]).await;
    for n in 1..=3 {
        gw.provider.push_log(line(n));
    }
    let a = gw
        .admin(
            Method::GET,
            "/system/logs?name=figlet&tail=2&follow=false",
            "",
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), "application/x-ndjson");
    assert_eq!(
        a.body,
        concat!(
            r#"{"name":"figlet","namespace":"openfaas-fn","instance":"figlet-1","timestamp":"2026-11-25T13:00:02.123456Z","text":"line 2"}"#,
            "\n",
            r#"{"name":"figlet","namespace":"openfaas-fn","instance":"figlet-1","timestamp":"2026-11-25T13:00:03.123456Z","text":"line 3"}"#,
            "\n"
        )
    );
    let a = gw
        .admin(
            Method::GET,
            "/system/logs?name=figlet&tail=-1&since=2026-11-25T13:00:02Z",
            "",
        )
        .await;
    assert_eq!(a.body.lines().count(), 2, "{}", a.body);
}

#[tokio::test]
async fn followed_lines_arrive_as_they_are_written() {
    let gw = start().await;
    gw.deploy("figlet", &[], &[]).await;
    gw.provider.push_log(line(1));
    let response = gw
        .request(
            Method::GET,
            "/system/logs?follow=true&name=figlet&tail=-1",
            &[("authorization", BASIC)],
            no_body(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut next_line = async || loop {
        let frame = tokio::time::timeout(Duration::from_secs(2), body.frame())
            .await
            .expect("a line within 2 s")
            .expect("stream still open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            return String::from_utf8(data.to_vec()).unwrap();
        }
    };
    assert!(next_line().await.contains("line 1"));
    gw.provider.push_log(line(2));
    assert!(next_line().await.contains("line 2"));
}

#[tokio::test]
async fn bad_log_queries() {
    let gw = start().await;
    gw.deploy("figlet", &[], &[]).await;
    for (query, code) in [
        ("?tail=1", 400),
        ("", 400),
        ("?name=figlet&tail=ten", 422),
        ("?name=figlet&since=yesterday", 422),
        ("?name=nope", 404),
    ] {
        let a = gw
            .admin(Method::GET, &format!("/system/logs{query}"), "")
            .await;
        assert_eq!(a.status, code, "{query}: {}", a.body);
        assert!(a.body.ends_with('\n') && a.body.len() > 1);
    }
    let a = gw
        .admin(Method::GET, "/system/logs?name=figlet&tail=ten", "")
        .await;
    assert!(
        a.body.starts_with("could not parse the log request"),
        "{}",
        a.body
    );
}
