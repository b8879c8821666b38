//! The web UI over a real socket: `/` and `/ui` redirect, `/ui/*` needs the `/system/*`
//! credentials, files come with their content types and ETags, unknown files are 404.

use http::Method;

use crate::support::{no_body, start, BASIC};

#[tokio::test]
async fn root_redirects_to_the_ui_without_credentials() {
    let gw = start().await;
    for path in ["/", "/ui"] {
        let a = gw.send(Method::GET, path, &[], no_body()).await;
        assert_eq!(a.status, 307, "{path}");
        assert_eq!(a.header("location"), "/ui/");
    }
}

#[tokio::test]
async fn ui_files_need_the_system_credentials() {
    let gw = start().await;
    let wrong = [("authorization", "Basic YWRtaW46d3Jvbmc=")]; // admin:wrong
    for path in ["/ui/", "/ui/index.html", "/ui/js/app.js", "/ui/nope"] {
        for headers in [&[][..], &wrong[..]] {
            let a = gw.send(Method::GET, path, headers, no_body()).await;
            assert_eq!(a.status, 401, "{path} {headers:?}");
            assert_eq!(a.header("www-authenticate"), "Basic realm=\"Restricted\"");
            assert_eq!(a.body, "invalid credentials\n");
        }
    }
}

#[tokio::test]
async fn ui_files_with_types_etags_and_404() {
    let gw = start().await;
    let auth = [("authorization", BASIC)];
    let a = gw.send(Method::GET, "/ui/", &auth, no_body()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), "text/html; charset=utf-8");
    assert!(a.body.contains("js/app.js"), "{}", a.body);
    assert!(a
        .header("content-security-policy")
        .contains("default-src 'self'"));
    for (path, ty) in [
        ("/ui/style.css", "text/css; charset=utf-8"),
        ("/ui/js/functions.js", "text/javascript; charset=utf-8"),
        ("/ui/store.json", "application/json"),
    ] {
        let a = gw.send(Method::GET, path, &auth, no_body()).await;
        assert_eq!(
            (a.status.as_u16(), a.header("content-type")),
            (200, ty),
            "{path}"
        );
        assert_eq!(a.header("cache-control"), "no-cache");
        assert_eq!(a.header("x-content-type-options"), "nosniff");
        let etag = a.header("etag").to_owned();
        let again = [("authorization", BASIC), ("if-none-match", etag.as_str())];
        let b = gw.send(Method::GET, path, &again, no_body()).await;
        assert_eq!(b.status, 304, "{path}");
        assert_eq!(b.body, "");
    }
    let store: serde_json::Value = gw
        .send(Method::GET, "/ui/store.json", &auth, no_body())
        .await
        .json();
    assert!(store["functions"].as_array().is_some_and(|f| !f.is_empty()));
    for path in ["/ui/nope.js", "/ui/js/", "/ui/../Cargo.toml"] {
        let a = gw.send(Method::GET, path, &auth, no_body()).await;
        assert_eq!(a.status, 404, "{path}");
    }
    let a = gw.send(Method::POST, "/ui/", &auth, no_body()).await;
    assert_eq!(a.status, 405);
    let a = gw
        .send(Method::HEAD, "/ui/style.css", &auth, no_body())
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, ""));
}
