//! The route table of docs/api.md §3: a path matched segment by segment, without the method (which
//! each route checks, so a known path with a wrong method is 405, not 404).

/// What a request path addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `/healthz`
    Healthz,
    /// `/metrics`
    Metrics,
    /// `/system/functions`
    Functions,
    /// `/system/function/{name}`
    Function(&'a str),
    /// `/system/scale-function/{name}`
    ScaleFunction(&'a str),
    /// `/system/secrets`
    Secrets,
    /// `/system/namespaces`
    Namespaces,
    /// `/system/namespace/` (create; the name is in the body)
    NamespaceCreate,
    /// `/system/namespace/{ns}`
    Namespace(&'a str),
    /// `/system/info`
    Info,
    /// `/system/logs`
    Logs,
    /// `/function/{segment}[/{rest…}]`
    Invoke(Target<'a>),
    /// `/async-function/{segment}[/{rest…}]`
    AsyncInvoke(Target<'a>),
    /// `/` and `/ui`: redirected to `/ui/`.
    UiRedirect,
    /// `/ui/{asset}` (`""` for `/ui/`): a file of the web UI.
    Ui(&'a str),
    /// Anything else.
    NotFound,
}

/// The function segment of an invocation path and where the rest of the path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    /// `name` or `name.namespace`.
    pub(crate) segment: &'a str,
    /// Byte offset of the rest (`/a/b`), or the path's length when there is none.
    pub(crate) rest_start: usize,
}

/// Whether `path` is one of the authenticated `/system` routes (known or not: unknown ones
/// also answer 401 without credentials, so the route table is not probed anonymously).
pub(crate) fn is_system(path: &str) -> bool {
    path == "/system" || path.starts_with("/system/")
}

/// Matches `path` against the route table.
pub(crate) fn route(path: &str) -> Route<'_> {
    if let Some(after) = path.strip_prefix("/function/") {
        return invocation(path, after).map_or(Route::NotFound, Route::Invoke);
    }
    if let Some(after) = path.strip_prefix("/async-function/") {
        return invocation(path, after).map_or(Route::NotFound, Route::AsyncInvoke);
    }
    match path {
        "/healthz" => return Route::Healthz,
        "/metrics" => return Route::Metrics,
        "/" | "/ui" => return Route::UiRedirect,
        _ => {}
    }
    let Some(system) = path.strip_prefix("/system/") else {
        return path.strip_prefix("/ui/").map_or(Route::NotFound, Route::Ui);
    };
    match system.split_once('/') {
        None => match system {
            "functions" => Route::Functions,
            "secrets" => Route::Secrets,
            "namespaces" => Route::Namespaces,
            "info" => Route::Info,
            "logs" => Route::Logs,
            _ => Route::NotFound,
        },
        Some((_, "")) if system == "namespace/" => Route::NamespaceCreate,
        Some((_, name)) if name.contains('/') || name.is_empty() => Route::NotFound,
        Some(("function", name)) => Route::Function(name),
        Some(("scale-function", name)) => Route::ScaleFunction(name),
        Some(("namespace", name)) => Route::Namespace(name),
        Some(_) => Route::NotFound,
    }
}

/// The target of `/function/{after}`: a segment of `[-a-zA-Z_0-9.]+` then nothing or `/…`.
fn invocation<'a>(path: &'a str, after: &'a str) -> Option<Target<'a>> {
    let end = after.find('/').unwrap_or(after.len());
    let segment = &after[..end];
    let valid = !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    valid.then(|| Target {
        segment,
        rest_start: path.len() - after.len() + end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_routes() {
        assert_eq!(route("/system/functions"), Route::Functions);
        assert_eq!(route("/system/functions/"), Route::NotFound);
        assert_eq!(route("/system/function/echo"), Route::Function("echo"));
        assert_eq!(route("/system/function/"), Route::NotFound);
        assert_eq!(route("/system/function/a/b"), Route::NotFound);
        assert_eq!(
            route("/system/scale-function/echo"),
            Route::ScaleFunction("echo")
        );
        assert_eq!(route("/system/namespace/"), Route::NamespaceCreate);
        assert_eq!(route("/system/namespace/dev"), Route::Namespace("dev"));
        assert_eq!(route("/system/namespaces"), Route::Namespaces);
        assert_eq!(route("/system/secrets"), Route::Secrets);
        assert_eq!(route("/system/info"), Route::Info);
        assert_eq!(route("/system/logs"), Route::Logs);
        assert_eq!(route("/system/nope"), Route::NotFound);
        assert_eq!(route("/healthz"), Route::Healthz);
        assert_eq!(route("/metrics"), Route::Metrics);
        assert_eq!(route("/"), Route::UiRedirect);
        assert_eq!(route("/ui"), Route::UiRedirect);
        assert_eq!(route("/ui/"), Route::Ui(""));
        assert_eq!(route("/ui/js/app.js"), Route::Ui("js/app.js"));
        assert_eq!(route("/uix"), Route::NotFound);
        assert!(is_system("/system/nope") && is_system("/system") && !is_system("/systems"));
    }

    #[test]
    fn invocation_routes() {
        let path = "/function/echo.dev/a/b";
        let Route::Invoke(t) = route(path) else {
            panic!("not an invocation")
        };
        assert_eq!(t.segment, "echo.dev");
        assert_eq!(&path[t.rest_start..], "/a/b");
        let Route::Invoke(t) = route("/function/echo") else {
            panic!("not an invocation")
        };
        assert_eq!((t.segment, t.rest_start), ("echo", 14));
        let Route::AsyncInvoke(t) = route("/async-function/echo/") else {
            panic!("not an async invocation")
        };
        assert_eq!((t.segment, t.rest_start), ("echo", 20));
        assert_eq!(route("/function/"), Route::NotFound);
        assert_eq!(route("/function/a%20b"), Route::NotFound);
        assert_eq!(route("/function//x"), Route::NotFound);
    }
}
