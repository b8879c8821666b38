//! faasd's async path end to end: `faasd up` supervising its own `nats-server -js`, a call to
//! `/async-function/…` answered 202 and delivered to its `X-Callback-Url` with the function's
//! answer, and the same after faasd was killed with `kill -9` and started again (the leftover
//! nats-server is stopped by its pid file and the queue reopened from its store).

use std::time::Duration;

use faas_e2e::images::server;
use faas_e2e::{Faasd, TestEnv};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One callback as received: lower-case header lines and the body.
struct Callback {
    head: String,
    body: String,
}

impl Callback {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A callback receiver on 127.0.0.1: every request's head and body go to the channel, each
/// answered 200.
async fn callback_receiver() -> (String, mpsc::UnboundedReceiver<Callback>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/done", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&data).into_owned();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let callback = Callback {
                        head: head.to_owned(),
                        body: body.to_owned(),
                    };
                    let length: usize = callback
                        .header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if body.len() < length {
                        continue;
                    }
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = tx.send(callback);
                    return;
                }
            });
        }
    });
    (url, rx)
}

/// Posts `body` asynchronously to `echo`'s CGI echo and checks the callback.
async fn call_async(
    faasd: &Faasd,
    ns: &str,
    url: &str,
    callbacks: &mut mpsc::UnboundedReceiver<Callback>,
    body: &str,
) {
    let gw = faasd.gateway();
    let accepted = gw
        .try_request_with(
            "POST",
            &format!("/async-function/echo.{ns}/cgi-bin/echo"),
            &[("X-Callback-Url", url), ("Content-Type", "text/plain")],
            Some(body.as_bytes().to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let call_id = accepted
        .headers
        .get("x-call-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Call-Id on the 202")
        .to_owned();
    let callback = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .unwrap_or_else(|_| panic!("no callback within 30 s\n{}", faasd.log_text()))
        .expect("the receiver runs");
    assert_eq!(
        callback.header("x-function-status"),
        Some("200"),
        "{}",
        callback.head
    );
    assert_eq!(callback.header("x-call-id"), Some(call_id.as_str()));
    assert!(
        callback.body.contains(&format!("echo\n{body}")),
        "{:?}",
        callback.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_call_is_delivered_to_its_callback_also_after_kill_9() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(&server("async"), "echo", "1");
    let faasd = Faasd::spawn(&env.state_dir(), &env.faasd_args()).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    gw.deploy(&env.deployment("echo", &image)).await;
    gw.wait_available("echo", &ns, 1).await;
    let (url, mut callbacks) = callback_receiver().await;
    call_async(&faasd, &ns, &url, &mut callbacks, "first call").await;

    // kill -9: faasd's nats-server is left behind; the next faasd stops it and carries on.
    let nats_pid_file = env.state_dir().join("nats").join("nats.pid");
    let leftover: i32 = std::fs::read_to_string(&nats_pid_file)
        .expect("faasd records its nats-server's pid")
        .trim()
        .parse()
        .unwrap();
    faasd.kill();
    let faasd = Faasd::spawn(&env.state_dir(), &env.faasd_args()).await;
    faasd.gateway().wait_available("echo", &ns, 1).await;
    call_async(&faasd, &ns, &url, &mut callbacks, "after kill -9").await;
    let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(leftover), None).is_err();
    assert!(gone, "the leftover nats-server {leftover} still runs");

    // A clean stop takes faasd's nats-server with it.
    let current: i32 = std::fs::read_to_string(&nats_pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let code = faasd.terminate(Duration::from_secs(20)).await;
    assert_eq!(code, Some(0));
    let stopped = nix::sys::signal::kill(nix::unistd::Pid::from_raw(current), None).is_err();
    assert!(stopped, "faasd's nats-server {current} outlived it");
    env.cleanup().await;
}
