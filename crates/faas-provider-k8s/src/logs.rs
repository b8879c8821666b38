//! Function logs streamed from the pods (`docs/kubernetes.md` §7): each pod's container log
//! with timestamps, split into [`LogMessage`]s; with `follow`, pods that start later are
//! followed too.
//!
//! One supervisor task per request owns the per-pod tasks; the returned stream holds the
//! supervisor and aborts it (and so every pod task) when the client goes away.

use std::collections::HashSet;

use faas_core::{FunctionRef, LogMessage, LogRequest, LogStream, ProviderError};
use futures_util::io::AsyncBufReadExt as _;
use futures_util::{StreamExt as _, TryStreamExt as _};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, LogParams};
use kube::runtime::watcher;
use kube::Api;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use crate::error::{ApiResultExt, Error};
use crate::labels::FUNCTION_LABEL;
use crate::provider::K8sProvider;

/// Without `since` and `tail`, the last five minutes are returned (docs/api.md §9).
const DEFAULT_SINCE_SECONDS: i64 = 300;

/// Lines buffered between the pod readers and the client.
const CHANNEL_CAPACITY: usize = 256;

/// The log parameters for a function's container: timestamps on, `tail` when positive,
/// `since` as given, else the last five minutes when neither is set.
pub fn log_params(container: &str, request: &LogRequest) -> LogParams {
    let tail_lines = request
        .tail
        .filter(|t| *t > 0)
        .and_then(|t| i64::try_from(t).ok());
    let since_time = request.since;
    LogParams {
        container: Some(container.to_owned()),
        follow: request.follow,
        timestamps: true,
        tail_lines,
        since_time,
        since_seconds: (since_time.is_none() && tail_lines.is_none())
            .then_some(DEFAULT_SINCE_SECONDS),
        ..Default::default()
    }
}

/// Splits a line written with `timestamps=true` into its RFC 3339 timestamp and text. A line
/// without a parsable timestamp keeps all its text and gets `now`.
pub fn parse_log_line(line: &str, now: Timestamp) -> (Timestamp, String) {
    let line = line.strip_suffix('\r').unwrap_or(line);
    match line.split_once(' ') {
        Some((ts, text)) => match ts.parse::<Timestamp>() {
            Ok(ts) => (ts, text.to_owned()),
            Err(_) => (now, line.to_owned()),
        },
        None => match line.parse::<Timestamp>() {
            Ok(ts) => (ts, String::new()),
            Err(_) => (now, line.to_owned()),
        },
    }
}

/// Whether a pod's containers can be asked for logs.
fn has_started(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Running" | "Succeeded" | "Failed")
    )
}

impl K8sProvider {
    /// Streams a function's log lines as `request` asks.
    pub(crate) async fn function_logs(&self, request: LogRequest) -> Result<LogStream, Error> {
        let function = FunctionRef::new(request.name.clone(), Some(&request.namespace));
        self.check_namespace(&function.namespace).await?;
        if self.cached_function(&function).is_none() {
            self.fetch_function(&function).await?;
        }
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &function.namespace);
        let selector = format!("{FUNCTION_LABEL}={}", function.name);
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let reader = PodLogReader {
            pods: pods.clone(),
            function: function.clone(),
            params: log_params(&function.name, &request),
            instance: request.instance.clone(),
            tx,
        };
        let supervisor = if request.follow {
            tokio::spawn(reader.follow(selector))
        } else {
            let list = pods
                .list(&ListParams::default().labels(&selector))
                .await
                .during(|| format!("listing pods of function {function}"))?;
            tokio::spawn(reader.read_once(list.items))
        };
        let guard = AbortOnDrop(supervisor);
        let stream = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
            let item = rx.recv().await?;
            Some((item, (rx, guard)))
        });
        Ok(Box::pin(stream))
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads the logs of a function's pods into one channel.
struct PodLogReader {
    pods: Api<Pod>,
    function: FunctionRef,
    params: LogParams,
    instance: Option<String>,
    tx: mpsc::Sender<Result<LogMessage, ProviderError>>,
}

impl PodLogReader {
    fn wanted(&self, pod: &Pod) -> Option<String> {
        let name = pod.metadata.name.clone()?;
        match &self.instance {
            Some(instance) if *instance != name => None,
            _ => Some(name),
        }
    }

    /// Every current pod's logs, then the end of the stream.
    async fn read_once(self, pods: Vec<Pod>) {
        let mut readers = JoinSet::new();
        for pod in pods.iter().filter(|p| has_started(p)) {
            if let Some(name) = self.wanted(pod) {
                readers.spawn(self.read_pod(name, self.params.clone()));
            }
        }
        while readers.join_next().await.is_some() {}
    }

    /// Current pods with the request's `tail`/`since`, and pods that start later from their
    /// first line, until the client goes away.
    async fn follow(self, selector: String) {
        let mut readers = JoinSet::new();
        let mut started: HashSet<String> = HashSet::new();
        let mut listing = true;
        let events = watcher(
            self.pods.clone(),
            watcher::Config::default().labels(&selector),
        );
        futures_util::pin_mut!(events);
        loop {
            let event = tokio::select! {
                event = events.try_next() => event,
                () = self.tx.closed() => return,
            };
            let pod = match event {
                Ok(Some(watcher::Event::Init)) => {
                    listing = true;
                    continue;
                }
                Ok(Some(watcher::Event::InitDone)) => {
                    listing = false;
                    continue;
                }
                Ok(Some(watcher::Event::InitApply(pod) | watcher::Event::Apply(pod))) => pod,
                Ok(Some(watcher::Event::Delete(_))) => continue,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(function = %self.function, error = %e, "watching pods for logs failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            if !has_started(&pod) {
                continue;
            }
            let Some(name) = self.wanted(&pod) else {
                continue;
            };
            if !started.insert(name.clone()) {
                continue;
            }
            let params = if listing {
                self.params.clone()
            } else {
                LogParams {
                    tail_lines: None,
                    since_time: None,
                    since_seconds: None,
                    ..self.params.clone()
                }
            };
            readers.spawn(self.read_pod(name, params));
            while readers.try_join_next().is_some() {}
        }
    }

    /// One pod's lines into the channel; a failure is logged and ends only this pod.
    fn read_pod(
        &self,
        pod: String,
        params: LogParams,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let api = self.pods.clone();
        let tx = self.tx.clone();
        let function = self.function.clone();
        async move {
            let reader = match api.log_stream(&pod, &params).await {
                Ok(reader) => reader,
                Err(e) => {
                    tracing::warn!(%function, %pod, error = %e, "reading pod logs failed");
                    return;
                }
            };
            let mut lines = std::pin::pin!(reader.lines());
            while let Some(line) = lines.next().await {
                let line = match line {
                    Ok(line) => line,
                    Err(e) => {
                        tracing::debug!(%function, %pod, error = %e, "pod log stream ended");
                        return;
                    }
                };
                let (timestamp, text) = parse_log_line(&line, Timestamp::now());
                let message = LogMessage {
                    name: function.name.clone(),
                    namespace: function.namespace.clone(),
                    instance: pod.clone(),
                    timestamp,
                    text,
                };
                if tx.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tail: Option<usize>, since: Option<&str>) -> LogRequest {
        LogRequest {
            name: "figlet".into(),
            namespace: "openfaas-fn".into(),
            instance: None,
            tail,
            since: since.map(|s| s.parse().unwrap()),
            follow: true,
        }
    }

    #[test]
    fn params_follow_the_request() {
        let p = log_params("figlet", &request(None, None));
        assert_eq!(p.container.as_deref(), Some("figlet"));
        assert!(p.follow && p.timestamps);
        assert_eq!((p.tail_lines, p.since_seconds), (None, Some(300)));
        let p = log_params("figlet", &request(Some(10), None));
        assert_eq!((p.tail_lines, p.since_seconds), (Some(10), None));
        let p = log_params("figlet", &request(Some(0), Some("2026-01-01T00:00:00Z")));
        assert_eq!((p.tail_lines, p.since_seconds), (None, None));
        assert!(p.since_time.is_some());
    }

    #[test]
    fn lines_split_at_the_first_space() {
        let now = Timestamp::UNIX_EPOCH;
        let (ts, text) = parse_log_line(
            "2026-11-25T13:00:00.123456789Z 2026/11/25 13:00:00 Forking - cat []",
            now,
        );
        assert_eq!(ts.to_string(), "2026-11-25T13:00:00.123456789Z");
        assert_eq!(text, "2026/11/25 13:00:00 Forking - cat []");
        assert_eq!(
            parse_log_line("no timestamp here", now),
            (now, "no timestamp here".into())
        );
        let (_, text) = parse_log_line("2026-11-25T13:00:00Z ", now);
        assert_eq!(text, "");
    }
}
