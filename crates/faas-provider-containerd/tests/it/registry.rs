//! Pulls against real registries: the harness's plain-HTTP loopback registry (tags, an index
//! resolved to this node's platform, HTTPS refused by a plain-HTTP server, a missing tag), and
//! the same registry behind a bearer-token front written here (a token endpoint that wants basic
//! credentials, a proxy that wants the token), pulled with, without and with wrong credentials.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use faas_core::{ErrorKind, FunctionDeployment, Provider};
use faas_provider_containerd::image::auth::Credentials;
use faas_provider_containerd::image::pull::RegistryClient;
use faas_provider_containerd::image::ImageReference;
use faas_provider_containerd::Error;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sha2::{Digest, Sha256};

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{invoke, TestEnv};

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The GOARCH name of this machine, and one that is not it.
fn architectures() -> (&'static str, &'static str) {
    let here = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (here, if here == "s390x" { "riscv64" } else { "s390x" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_over_plain_http_and_resolves_an_index_to_this_platform() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let registry = env.services.registry.clone();
    let repo = format!("{}/plain", env.namespace);
    let here = images::build("here", SERVER_SCRIPT);
    let there = images::build("there", SERVER_SCRIPT);
    images::push(&here, &registry, &repo, "here");
    images::push(&there, &registry, &repo, "there");
    let (arch, other_arch) = architectures();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(&there.manifest),
             "size": there.manifest.len(), "platform": {"architecture": other_arch, "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(&here.manifest),
             "size": here.manifest.len(), "platform": {"architecture": arch, "os": "linux"}},
        ],
    });
    let (status, _, body) = images::request(
        &registry,
        "PUT",
        &format!("/v2/{repo}/manifests/multi"),
        Some("application/vnd.oci.image.index.v1+json"),
        &serde_json::to_vec(&index).unwrap(),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));

    let client = RegistryClient::new().unwrap();
    let spool = env.dir.path().join("spool");
    let tagged = ImageReference::parse(&format!("{registry}/{repo}:here")).unwrap();
    assert!(tagged.is_insecure(&[]), "a loopback registry is plain HTTP");
    let staged = client.pull(&tagged, true, None, &spool).await.unwrap();
    assert_eq!(staged.manifest, here.manifest);
    assert_eq!(staged.manifest_descriptor.digest, digest(&here.manifest));
    assert_eq!(staged.config, here.config);
    assert_eq!(staged.layers.len(), 1);
    assert_eq!(staged.layers[0].1.len(), here.layer.len() as u64);
    drop(staged);
    assert_eq!(
        client.resolve(&tagged, true, None).await.unwrap(),
        digest(&here.manifest)
    );

    // The index tag: this node's entry, whichever comes first.
    let multi = ImageReference::parse(&format!("{registry}/{repo}:multi")).unwrap();
    assert_eq!(
        client.resolve(&multi, true, None).await.unwrap(),
        digest(&here.manifest)
    );
    let staged = client.pull(&multi, true, None, &spool).await.unwrap();
    assert_eq!(staged.manifest, here.manifest);
    assert_eq!(
        staged.manifest_descriptor.media_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    drop(staged);

    // Pinned by digest: checked against what the registry sends.
    let pinned =
        ImageReference::parse(&format!("{registry}/{repo}@{}", digest(&there.manifest))).unwrap();
    let staged = client.pull(&pinned, true, None, &spool).await.unwrap();
    assert_eq!(staged.config, there.config);
    drop(staged);

    // A missing tag is the user's to fix; HTTPS to a plain-HTTP server is a registry failure.
    let missing = ImageReference::parse(&format!("{registry}/{repo}:gone")).unwrap();
    let err = client.pull(&missing, true, None, &spool).await.unwrap_err();
    assert!(matches!(err, Error::ImageNotFound { .. }), "{err:?}");
    let err = client.resolve(&tagged, false, None).await.unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "spooled layers are removed with the staged image"
    );
    env.cleanup().await;
}

/// What the token front saw.
#[derive(Default)]
struct Seen {
    /// `scope` of each token request that got a token.
    scopes: Vec<String>,
    /// Token requests refused.
    refused: usize,
    /// Requests passed to the registry with a valid token.
    forwarded: usize,
}

/// How the front authenticates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// `GET /token` trades basic credentials for a token; `/v2/` wants `Bearer <token>`.
    Bearer,
    /// `/v2/` wants the basic credentials on every request.
    Basic,
}

/// A registry that wants credentials: in front of the harness's registry, it answers every
/// `/v2/` request without them with a 401 and the scheme's challenge, and passes the others on.
/// Stops when dropped.
struct TokenRegistry {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TokenRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Body = BoxBody<Bytes, hyper::Error>;

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body.to_owned()))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r
}

impl TokenRegistry {
    async fn start(backend: String, user: &str, password: &str, scheme: Scheme) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let token = format!("tok-{}", std::process::id());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let forward = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build_http::<Empty<Bytes>>();
        let token = match scheme {
            Scheme::Bearer => format!("Bearer {token}"),
            Scheme::Basic => basic.clone(),
        };
        let state = (basic, token, backend, forward, seen.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (basic, token, backend, forward, seen) = state.clone();
                        async move {
                            Ok::<_, Infallible>(
                                handle(req, addr, &basic, &token, &backend, &forward, &seen).await,
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, seen, task }
    }
}

async fn handle(
    req: Request<Incoming>,
    addr: SocketAddr,
    basic: &str,
    expected: &str,
    backend: &str,
    forward: &hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Empty<Bytes>,
    >,
    seen: &Mutex<Seen>,
) -> Response<Body> {
    let authorization = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bearer = expected.starts_with("Bearer ");
    if bearer && req.uri().path() == "/token" {
        if authorization != basic {
            seen.lock().unwrap().refused += 1;
            return text(StatusCode::UNAUTHORIZED, r#"{"details":"bad credentials"}"#);
        }
        let query = req.uri().query().unwrap_or_default();
        let scope = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("scope="))
            .unwrap_or_default()
            .replace("%3A", ":")
            .replace("%2F", "/");
        seen.lock().unwrap().scopes.push(scope);
        let token = expected.trim_start_matches("Bearer ");
        return text(
            StatusCode::OK,
            &serde_json::json!({"token": token, "expires_in": 300}).to_string(),
        );
    }
    if authorization != expected {
        if !bearer && !authorization.is_empty() {
            seen.lock().unwrap().refused += 1;
        }
        let challenge = if bearer {
            format!(r#"Bearer realm="http://{addr}/token",service="test-registry""#)
        } else {
            r#"Basic realm="test-registry""#.to_owned()
        };
        let mut r = text(
            StatusCode::UNAUTHORIZED,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        );
        r.headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, challenge.parse().unwrap());
        return r;
    }
    seen.lock().unwrap().forwarded += 1;
    let uri = format!(
        "http://{backend}{}",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let mut upstream = Request::builder().method(req.method()).uri(uri);
    for (name, value) in req.headers() {
        if name != http::header::AUTHORIZATION && name != http::header::HOST {
            upstream = upstream.header(name, value);
        }
    }
    match forward.request(upstream.body(Empty::new()).unwrap()).await {
        Ok(resp) => resp.map(|b| b.boxed()),
        Err(e) => text(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_registry_is_pulled_with_the_configured_credentials() {
    let Some(mut env) = TestEnv::new().await else {
        return;
    };
    let backend = env.services.registry.clone();
    let repo = format!("{}/private", env.namespace);
    images::push(
        &images::build("behind-a-token", SERVER_SCRIPT),
        &backend,
        &repo,
        "latest",
    );
    let front = TokenRegistry::start(backend, "alice", "s3cret", Scheme::Bearer).await;
    let image = format!("{}/{repo}:latest", front.addr);
    let reference = ImageReference::parse(&image).unwrap();
    let client = RegistryClient::new().unwrap();
    let spool = env.dir.path().join("spool");

    // No credentials: the token service refuses, and the error says what to do.
    let err = client
        .pull(&reference, true, None, &spool)
        .await
        .unwrap_err();
    let message = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(matches!(err, Error::ImageNotFound { .. }), "{err:?}");
    assert!(
        message.contains("wants credentials and none are configured"),
        "{message}"
    );
    // Wrong credentials: refused, said so.
    let wrong = Credentials {
        username: "alice".into(),
        password: "guess".into(),
    };
    let err = client
        .pull(&reference, true, Some(wrong), &spool)
        .await
        .unwrap_err();
    let message = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(message.contains("refused the credentials"), "{message}");
    assert_eq!(front.seen.lock().unwrap().forwarded, 0);
    assert_eq!(front.seen.lock().unwrap().refused, 2);

    // A deploy without an auth file fails with a 4xx-class error naming the cause.
    let p = env.provider().await;
    let d = FunctionDeployment {
        service: "private".into(),
        image: image.clone(),
        namespace: Some(env.namespace.clone()),
        ..Default::default()
    };
    let err = p.deploy(d.clone()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    assert!(err.to_string().contains("credentials"), "{err}");
    drop(p);

    // With the credentials in a docker config.json, as `faas login` writes it: deployed.
    let auth_file = env.dir.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    std::fs::write(
        &auth_file,
        serde_json::json!({"auths": {front.addr.to_string(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    env.config.registry_auth_file = Some(auth_file);
    let p = env.provider().await;
    p.deploy(d).await.unwrap();
    let f = env.function("private");
    let mut answer = String::new();
    for _ in 0..200 {
        if let Some(addr) = p.resolve(&f).ok().and_then(|r| r.endpoints.pick()) {
            answer = invoke(addr);
            if answer.contains("msg=behind-a-token") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(answer.contains("msg=behind-a-token"), "{answer:?}");
    {
        let seen = front.seen.lock().unwrap();
        assert!(
            seen.forwarded >= 3,
            "manifest, config and layer went through the token"
        );
        assert!(
            seen.scopes
                .iter()
                .all(|s| *s == format!("repository:{repo}:pull")),
            "{:?}",
            seen.scopes
        );
        assert!(!seen.scopes.is_empty());
    }
    p.delete(f).await.unwrap();
    drop(p);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basic_auth_registry_is_pulled_with_the_configured_credentials() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let backend = env.services.registry.clone();
    let repo = format!("{}/basic", env.namespace);
    let image = images::build("behind-basic-auth", SERVER_SCRIPT);
    images::push(&image, &backend, &repo, "latest");
    let front = TokenRegistry::start(backend, "bob", "pw", Scheme::Basic).await;
    let reference = ImageReference::parse(&format!("{}/{repo}:latest", front.addr)).unwrap();
    let client = RegistryClient::new().unwrap();
    let spool = env.dir.path().join("spool");
    let credentials = |password: &str| Credentials {
        username: "bob".into(),
        password: password.into(),
    };

    let err = client
        .pull(&reference, true, None, &spool)
        .await
        .unwrap_err();
    let message = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(
        message.contains("wants credentials and none are configured"),
        "{message}"
    );
    let err = client
        .pull(&reference, true, Some(credentials("nope")), &spool)
        .await
        .unwrap_err();
    let message = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(message.contains("refused the credentials"), "{message}");
    assert_eq!(front.seen.lock().unwrap().forwarded, 0);

    let staged = client
        .pull(&reference, true, Some(credentials("pw")), &spool)
        .await
        .unwrap();
    assert_eq!(staged.manifest, image.manifest);
    assert_eq!(staged.config, image.config);
    assert!(front.seen.lock().unwrap().forwarded >= 3);
    assert!(
        front.seen.lock().unwrap().scopes.is_empty(),
        "no token flow"
    );
    drop(staged);
    env.cleanup().await;
}
