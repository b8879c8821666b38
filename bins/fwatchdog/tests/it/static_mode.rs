//! `static` mode: a file server over `static_path`.

use hyper::StatusCode;

use crate::harness::{get, Watchdog};

#[tokio::test]
async fn serves_files_and_refuses_escapes() {
    let public = tempfile::tempdir().unwrap();
    std::fs::write(public.path().join("index.html"), "<h1>hi</h1>").unwrap();
    std::fs::create_dir(public.path().join("css")).unwrap();
    std::fs::write(public.path().join("css/site.css"), "body{}").unwrap();
    let root = public.path().display().to_string();
    let watchdog = Watchdog::start(&[("mode", "static"), ("static_path", &root)]).await;

    let (status, headers, body) = watchdog.request(get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "<h1>hi</h1>");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");

    let (status, headers, body) = watchdog.request(get("/css/site.css")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "body{}");
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");

    assert_eq!(
        watchdog.request(get("/css")).await.0,
        StatusCode::MOVED_PERMANENTLY
    );
    assert_eq!(
        watchdog.request(get("/missing")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        watchdog.request(get("/../../etc/passwd")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        watchdog.request(get("/%2e%2e/etc/passwd")).await.0,
        StatusCode::NOT_FOUND
    );
}
