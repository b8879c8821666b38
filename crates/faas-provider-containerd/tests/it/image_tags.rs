//! A tag is checked with its registry on every deploy and update: pushed again → pulled and
//! rolled out; unchanged → not pulled; registry gone → the stored image with a warning.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use containerd_client::services::v1::GetImageRequest;
use faas_core::{FunctionDeployment, FunctionRef, Provider};
use faas_provider_containerd::client::in_namespace;
use faas_provider_containerd::ContainerdProvider;

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{invoke, TestEnv};

fn deployment(env: &TestEnv, name: &str, image: &str) -> FunctionDeployment {
    FunctionDeployment {
        service: name.into(),
        image: image.into(),
        namespace: Some(env.namespace.clone()),
        ..Default::default()
    }
}

/// The image record's target digest and last update time, as containerd keeps them.
async fn image_record(p: &ContainerdProvider, ns: &str, name: &str) -> (String, i64, i32) {
    let image = p
        .containerd()
        .images()
        .get(in_namespace(
            ns,
            GetImageRequest {
                name: name.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .image
        .unwrap();
    let updated = image.updated_at.unwrap();
    (image.target.unwrap().digest, updated.seconds, updated.nanos)
}

/// `GET /` on a ready replica of `f`, once one answers with `want`.
async fn serves(p: &ContainerdProvider, f: &FunctionRef, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(r) = p.resolve(f) {
            if let Some(addr) = r.endpoints.pick() {
                last = invoke(addr);
                if last.contains(want) {
                    return last;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{f} never answered {want:?}; last answer {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_pushed_again_is_rolled_out_and_an_unchanged_one_is_not_pulled() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let repo = format!("{}/hello", env.namespace);
    let registry = env.services.registry.clone();
    let image = format!("{registry}/{repo}:latest");
    images::push(
        &images::build("v1", SERVER_SCRIPT),
        &registry,
        &repo,
        "latest",
    );
    let p = env.provider().await;
    let f = env.function("hello");
    let d = deployment(&env, "hello", &image);

    let outcome = p.deploy(d.clone()).await.unwrap();
    assert_eq!(outcome.warnings, Vec::<String>::new());
    serves(&p, &f, "msg=v1").await;
    let first = image_record(&p, &env.namespace, &image).await;

    // Same tag, same digest: the update rolls out the stored image, nothing is pulled (the
    // image record is not touched).
    let outcome = p.update(d.clone()).await.unwrap();
    assert_eq!(outcome.warnings, Vec::<String>::new());
    serves(&p, &f, "msg=v1").await;
    assert_eq!(image_record(&p, &env.namespace, &image).await, first);

    // Same tag, new content: the update pulls it and serves it.
    images::push(
        &images::build("v2", SERVER_SCRIPT),
        &registry,
        &repo,
        "latest",
    );
    let outcome = p.update(d.clone()).await.unwrap();
    assert_eq!(outcome.warnings, Vec::<String>::new());
    serves(&p, &f, "msg=v2").await;
    let second = image_record(&p, &env.namespace, &image).await;
    assert_ne!(
        second.0, first.0,
        "the image record points at the new manifest"
    );

    // And a deploy of another function with that tag, pushed once more, runs the newest.
    images::push(
        &images::build("v3", SERVER_SCRIPT),
        &registry,
        &repo,
        "latest",
    );
    let g = env.function("hello-b");
    p.deploy(deployment(&env, "hello-b", &image)).await.unwrap();
    serves(&p, &g, "msg=v3").await;
    assert_ne!(image_record(&p, &env.namespace, &image).await.0, second.0);

    p.delete(f).await.unwrap();
    p.delete(g).await.unwrap();
    drop(p);
    env.cleanup().await;
}

/// A private registry for one test, stopped by its PID.
struct PrivateRegistry {
    dir: std::path::PathBuf,
    addr: String,
}

impl PrivateRegistry {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new("bash")
            .arg("scripts/services/registry.sh")
            .arg(port.to_string())
            .arg(dir)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            dir: dir.to_owned(),
            addr: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        }
    }

    fn stop(&self) {
        let Ok(pid) = std::fs::read_to_string(self.dir.join("registry.pid")) else {
            return;
        };
        let Ok(pid) = pid.trim().parse::<i32>() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        for _ in 0..100 {
            if std::net::TcpStream::connect(&self.addr).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the registry at {} still answers", self.addr);
    }
}

impl Drop for PrivateRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_registry_deploys_the_stored_image_with_a_warning() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let registry = PrivateRegistry::start(&env.dir.path().join("registry"));
    let repo = format!("{}/offline", env.namespace);
    let image = format!("{}/{repo}:latest", registry.addr);
    images::push(
        &images::build("stored", SERVER_SCRIPT),
        &registry.addr,
        &repo,
        "latest",
    );
    let p = env.provider().await;
    let f = env.function("offline");
    let d = deployment(&env, "offline", &image);
    assert_eq!(p.deploy(d.clone()).await.unwrap().warnings.len(), 0);
    serves(&p, &f, "msg=stored").await;

    registry.stop();
    // An update and a new deploy of the stored image work, and say why the registry was not
    // followed.
    let outcome = p.update(d.clone()).await.unwrap();
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    let w = &outcome.warnings[0];
    assert!(w.contains(&image), "{w}");
    assert!(w.contains("using the copy already on this machine"), "{w}");
    serves(&p, &f, "msg=stored").await;
    let g = env.function("offline-b");
    let outcome = p
        .deploy(deployment(&env, "offline-b", &image))
        .await
        .unwrap();
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    serves(&p, &g, "msg=stored").await;

    // An image that is not stored cannot be deployed: the error names it.
    let missing = format!("{}/{repo}:other", registry.addr);
    let err = p
        .deploy(deployment(&env, "nothing", &missing))
        .await
        .unwrap_err();
    assert!(err.chain().contains(&missing), "{}", err.chain());
    assert!(p.get(env.function("nothing"), false).await.is_err());

    p.delete(f).await.unwrap();
    p.delete(g).await.unwrap();
    drop(p);
    env.cleanup().await;
}
