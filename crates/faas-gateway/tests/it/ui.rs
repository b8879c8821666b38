//! The web UI over a real socket: `/` and `/ui` redirect, `/ui/*` needs the `/system/*`
//! credentials, files come with their content types and ETags, unknown files are 404.

use http::Method;

use crate::support::{full, no_body, start, BASIC};

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
    for path in [
        "/ui/",
        "/ui/index.html",
        "/ui/js/app.js",
        "/ui/nope",
        "/ui/session",
    ] {
        for headers in [&[][..], &wrong[..]] {
            let a = gw.send(Method::GET, path, headers, no_body()).await;
            assert_eq!(a.status, 401, "{path} {headers:?}");
            assert_eq!(a.header("www-authenticate"), "Basic realm=\"Restricted\"");
            if path.ends_with('/') || path.ends_with(".html") {
                // The page: the login form, for a user who dismissed the browser's prompt.
                assert!(a.body.contains("action=\"/ui/login\""), "{}", a.body);
                assert!(!a.body.contains("js/app.js"));
            } else {
                assert_eq!(a.body, "invalid credentials\n");
            }
        }
    }
    // The form and what it loads hold no data: served to anyone.
    for path in ["/ui/login", "/ui/style.css", "/ui/js/login.js"] {
        let a = gw.send(Method::GET, path, &[], no_body()).await;
        assert_eq!(a.status, 200, "{path}");
    }
}

fn cookie_of(a: &crate::support::Answer) -> String {
    let set = a.header("set-cookie");
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn login_form_cookie_lets_in_and_writes_need_the_csrf_token() {
    let gw = start().await;
    let form = |body: &str| full(body.to_owned());
    let urlencoded = [("content-type", "application/x-www-form-urlencoded")];
    let a = gw
        .send(
            Method::POST,
            "/ui/login",
            &urlencoded,
            form("user=admin&password=nope"),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.header("location")),
        (303, "/ui/login?failed")
    );
    assert_eq!(a.header("set-cookie"), "");

    // As a browser sends the form: with its origin.
    let origin = format!("http://{}", gw.addr);
    let from_page = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", origin.as_str()),
    ];
    let a = gw
        .send(
            Method::POST,
            "/ui/login",
            &from_page,
            form("user=admin&password=secret"),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.header("location")), (303, "/ui/"));
    let set = a.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = cookie_of(&a);

    let with_cookie = [("cookie", cookie.as_str())];
    let a = gw.send(Method::GET, "/ui/", &with_cookie, no_body()).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("js/app.js"));
    let a = gw
        .send(Method::GET, "/system/functions", &with_cookie, no_body())
        .await;
    assert_eq!(a.status, 200);

    let secret = r#"{"name":"k","value":"v"}"#;
    let a = gw
        .send(Method::POST, "/system/secrets", &with_cookie, full(secret))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let csrf = gw
        .send(Method::GET, "/ui/session", &with_cookie, no_body())
        .await
        .json()["csrf"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_token = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let a = gw
        .send(Method::POST, "/system/secrets", &with_token, full(secret))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let cross = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
        ("origin", "http://evil.example"),
    ];
    let a = gw
        .send(Method::DELETE, "/system/secrets", &cross, full(secret))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // A page of another site cannot write with the browser's basic credentials either.
    let cross_basic = [("authorization", BASIC), ("origin", "http://evil.example")];
    let a = gw
        .send(Method::POST, "/system/secrets", &cross_basic, full(secret))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = gw
        .send(Method::GET, "/system/secrets", &cross_basic, no_body())
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Basic auth needs no token.
    let a = gw
        .send(
            Method::GET,
            "/ui/session",
            &[("authorization", BASIC)],
            no_body(),
        )
        .await;
    assert_eq!(a.json()["csrf"], serde_json::Value::Null);

    let a = gw
        .send(Method::POST, "/ui/logout", &with_cookie, no_body())
        .await;
    assert_eq!(a.status, 403, "logout without the token");
    let a = gw
        .send(Method::POST, "/ui/logout", &with_token, no_body())
        .await;
    assert_eq!(
        (a.status.as_u16(), a.header("location")),
        (303, "/ui/login")
    );
    assert!(a.header("set-cookie").contains("Max-Age=0"));
    let a = gw
        .send(Method::GET, "/system/functions", &with_cookie, no_body())
        .await;
    assert_eq!(a.status, 401);
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
