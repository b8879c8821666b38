//! The invocation proxy `/function/…` (docs/api.md §10): addressing, headers, errors, deadlines.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, Method, Response};
use http_body_util::BodyExt as _;

use crate::support::{closed_port, config, full, no_body, reply, start, start_with, upstream};

/// What the replica received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: String,
}

/// A replica that records each request and answers 200 `done` with a custom header.
async fn recording_upstream() -> (std::net::SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let addr = upstream(move |r: http::Request<hyper::body::Incoming>| {
        let log = log.clone();
        async move {
            let (parts, body) = r.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            log.lock().unwrap().push(Seen {
                method: parts.method,
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            Response::builder()
                .header("x-duration-seconds", "0.001")
                .header("connection", "keep-alive, x-upstream-hop")
                .header("x-upstream-hop", "1")
                .body(crate::support::full("done"))
                .unwrap()
        }
    })
    .await;
    (addr, seen)
}

#[tokio::test]
async fn sub_path_query_method_and_body_pass_byte_for_byte() {
    let gw = start().await;
    let (addr, seen) = recording_upstream().await;
    gw.deploy_at("echo", addr).await;
    let cases = [
        ("/function/echo", "/"),
        ("/function/echo/", "/"),
        ("/function/echo.openfaas-fn/a/b", "/a/b"),
        (
            "/function/echo/a%20b/c?x=1&y=%2F+z&x=2",
            "/a%20b/c?x=1&y=%2F+z&x=2",
        ),
        ("/function/echo.openfaas-fn?q=1", "/?q=1"),
    ];
    for (path, want) in cases {
        let a = gw
            .send(
                Method::PATCH,
                path,
                &[("content-type", "text/plain")],
                full("hi"),
            )
            .await;
        assert_eq!(
            (a.status.as_u16(), a.body.as_str()),
            (200, "done"),
            "{path}"
        );
        let s = seen.lock().unwrap().pop().unwrap();
        assert_eq!(s.uri, want, "{path}");
        assert_eq!(s.method, Method::PATCH);
        assert_eq!(s.body, "hi");
    }
}

#[tokio::test]
async fn request_and_response_headers() {
    let gw = start().await;
    let (addr, seen) = recording_upstream().await;
    gw.deploy_at("echo", addr).await;
    let a = gw
        .send(
            Method::POST,
            "/function/echo",
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("authorization", "Bearer fn-token"),
                ("connection", "keep-alive, x-client-hop"),
                ("x-client-hop", "secret"),
                ("keep-alive", "timeout=5"),
                ("proxy-authorization", "Basic x"),
                ("te", "trailers"),
                ("x-custom-header", "abc"),
            ],
            full("12345"),
        )
        .await;
    assert_eq!(a.status, 200);
    let s = seen.lock().unwrap().pop().unwrap();
    let h = &s.headers;
    assert_eq!(h["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
    assert_eq!(h["x-forwarded-host"], gw.addr.to_string().as_str());
    assert_eq!(h["host"], addr.to_string().as_str());
    assert_eq!(h["authorization"], "Bearer fn-token");
    assert_eq!(h["x-custom-header"], "abc");
    assert_eq!(h["content-length"], "5");
    assert!(!h.contains_key("transfer-encoding"));
    for hop in ["x-client-hop", "keep-alive", "proxy-authorization", "te"] {
        assert!(!h.contains_key(hop), "{hop} forwarded");
    }
    let call_id = h["x-call-id"].to_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&call_id).expect("a generated UUID");
    let start: u64 = h["x-start-time"].to_str().unwrap().parse().unwrap();
    assert!(
        start > 1_700_000_000_000_000_000,
        "{start} is not Unix nanoseconds"
    );

    // The response: the function's headers, plus the gateway's; hop-by-hop removed.
    assert_eq!(a.header("x-call-id"), call_id);
    assert_eq!(a.header("x-start-time"), start.to_string());
    assert_eq!(a.header("x-duration-seconds"), "0.001");
    assert!(a.header("x-served-by").starts_with("faas-gateway/"));
    assert_eq!(a.header("x-upstream-hop"), "");
    assert_eq!(a.header("x-openfaas-internal"), "");

    // A client's call id is kept.
    let a = gw
        .send(
            Method::GET,
            "/function/echo",
            &[("x-call-id", "my-id")],
            no_body(),
        )
        .await;
    assert_eq!(a.header("x-call-id"), "my-id");
    assert_eq!(
        seen.lock().unwrap().pop().unwrap().headers["x-call-id"],
        "my-id"
    );
    // Without a client XFF the chain is just the peer, without port.
    assert_eq!(
        gw.send(Method::GET, "/function/echo", &[], no_body())
            .await
            .status,
        200
    );
    assert_eq!(
        seen.lock().unwrap().pop().unwrap().headers["x-forwarded-for"],
        "127.0.0.1"
    );
}

#[tokio::test]
async fn function_statuses_and_redirects_pass_through() {
    let gw = start().await;
    let addr = upstream(|r: http::Request<hyper::body::Incoming>| async move {
        match r.uri().path() {
            "/redirect" => Response::builder()
                .status(302)
                .header("location", "/elsewhere")
                .body(crate::support::full(""))
                .unwrap(),
            _ => reply(500, "function failed"),
        }
    })
    .await;
    gw.deploy_at("f", addr).await;
    let a = gw
        .send(Method::GET, "/function/f/redirect", &[], no_body())
        .await;
    assert_eq!(a.status, 302);
    assert_eq!(a.header("location"), "/elsewhere");
    let a = gw.send(Method::GET, "/function/f", &[], no_body()).await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (500, "function failed")
    );
    assert_eq!(a.header("x-openfaas-internal"), "");
}

#[tokio::test]
async fn unknown_function_is_404() {
    let gw = start().await;
    for (path, name) in [
        ("/function/nope", "nope.openfaas-fn"),
        ("/function/nope.dev/x", "nope.dev"),
    ] {
        let a = gw.send(Method::POST, path, &[], full("x")).await;
        assert_eq!(a.status, 404);
        assert_eq!(a.body, format!("function {name} not found\n"));
        assert_eq!(a.header("x-openfaas-internal"), "gateway");
        assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
        assert!(!a.header("x-call-id").is_empty());
    }
}

#[tokio::test]
async fn unreachable_replica_is_502_with_a_message() {
    let gw = start().await;
    gw.deploy_at("gone", closed_port().await).await;
    let a = gw.send(Method::GET, "/function/gone", &[], no_body()).await;
    assert_eq!(a.status, 502);
    assert!(
        a.body.starts_with("cannot reach function gone.openfaas-fn"),
        "{}",
        a.body
    );
    assert!(a.body.ends_with('\n') && a.body.lines().count() == 1);
    assert_eq!(a.header("x-openfaas-internal"), "gateway");
    let metrics = gw.send(Method::GET, "/metrics", &[], no_body()).await.body;
    assert!(
        metrics.contains(
            "gateway_function_invocation_total{code=\"502\",function_name=\"gone.openfaas-fn\"} 1\n"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn slow_function_past_its_timeout_is_504() {
    let gw = start_with(faas_gateway::GatewayConfig {
        timeout_margin: Duration::from_millis(100),
        ..config()
    })
    .await;
    let addr = upstream(|_| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        reply(200, "too late")
    })
    .await;
    gw.deploy_at("slow", addr).await; // exec_timeout=1s
    let started = tokio::time::Instant::now();
    let a = gw.send(Method::GET, "/function/slow", &[], no_body()).await;
    let took = started.elapsed();
    assert_eq!(a.status, 504);
    assert_eq!(
        a.body,
        "function slow.openfaas-fn did not answer within 1.1s\n"
    );
    assert_eq!(a.header("x-openfaas-internal"), "gateway");
    assert!(
        took >= Duration::from_millis(1100) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn function_without_timeout_gets_the_default() {
    let gw = start_with(faas_gateway::GatewayConfig {
        default_timeout: Duration::from_millis(300),
        ..config()
    })
    .await;
    let addr = upstream(|_| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        reply(200, "too late")
    })
    .await;
    gw.deploy("slow", &[], &[]).await;
    gw.provider
        .set_backend(&faas_core::FunctionRef::new("slow", None), vec![addr]);
    let a = gw.send(Method::GET, "/function/slow", &[], no_body()).await;
    assert_eq!(a.status, 504);
    assert!(a.body.contains("within 300ms"), "{}", a.body);
}

#[tokio::test]
async fn no_ready_replica_is_503_after_the_wait() {
    let gw = start_with(faas_gateway::GatewayConfig {
        scale_from_zero_wait: Some(Duration::from_millis(200)),
        ..config()
    })
    .await;
    // Desired 1 replica, none ready (no backend address).
    gw.deploy("starting", &[("exec_timeout", "1s")], &[]).await;
    let a = gw
        .send(Method::GET, "/function/starting", &[], no_body())
        .await;
    assert_eq!(a.status, 503);
    assert!(
        a.body
            .starts_with("function starting.openfaas-fn has no ready replica after waiting"),
        "{}",
        a.body
    );
    assert_eq!(a.header("x-openfaas-internal"), "gateway");
}
