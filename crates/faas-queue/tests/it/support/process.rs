//! The worker as a separate process, so a test can SIGKILL it: this same test binary re-run with
//! the `worker_process_helper` test selected and its settings in `FAAS_QUEUE_IT_WORKER`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use faas_queue::{QueueConfig, QueueMetrics, Worker};

const ENV: &str = "FAAS_QUEUE_IT_WORKER";

/// A worker process; SIGKILLed when dropped.
pub struct WorkerProcess {
    child: Child,
}

impl WorkerProcess {
    /// Starts a worker on `queue` calling `gateway`, and waits until it is pulling (blocking the
    /// calling runtime thread only: `block_in_place`).
    pub fn start(queue: &QueueConfig, gateway: SocketAddr, ack_wait: Duration) -> Self {
        tokio::task::block_in_place(|| Self::start_blocking(queue, gateway, ack_wait))
    }

    fn start_blocking(queue: &QueueConfig, gateway: SocketAddr, ack_wait: Duration) -> Self {
        let settings = format!(
            "{}|{}|{}|{}",
            queue.nats_url,
            queue.stream,
            gateway,
            ack_wait.as_millis()
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "worker_process_helper",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV, settings)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the worker process");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.trim_end().ends_with("worker ready") => break,
                Some(Ok(_)) => continue,
                _ => panic!("the worker process exited before it was ready"),
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child }
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of the `worker_process_helper` test: a no-op unless started by [`WorkerProcess`].
pub fn run_helper_if_requested() {
    let Ok(settings) = std::env::var(ENV) else {
        return;
    };
    let parts: Vec<&str> = settings.split('|').collect();
    let [nats_url, stream, gateway, ack_wait_ms] = parts[..] else {
        panic!("bad {ENV}: {settings}");
    };
    super::init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let queue = QueueConfig {
            stream: stream.to_owned(),
            subject_prefix: stream.to_owned(),
            ..QueueConfig::new(nats_url)
        };
        let mut config = super::worker_config(gateway.parse().unwrap());
        config.concurrency = 64;
        config.ack_wait = Duration::from_millis(ack_wait_ms.parse().unwrap());
        config.invoke.max_attempts = 5;
        let mut registry = prometheus_client::registry::Registry::default();
        let metrics = QueueMetrics::register(&mut registry);
        let worker = Worker::connect(&queue, config, metrics).await.unwrap();
        println!("\nworker ready");
        worker.run(std::future::pending()).await.unwrap();
    });
}
