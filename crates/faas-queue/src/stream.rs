//! Where invocations are stored: the NATS connection settings, the names of the two streams and
//! their subjects, and creating (or checking) them on connect.
//!
//! * The **work stream** (default `FAAS_ASYNC`, subjects `faas.async.invoke.>`): WorkQueue
//!   retention (a message is deleted once acked), file storage, one message per invocation on
//!   `<prefix>.invoke.<namespace>.<name>`. When full it rejects new messages (`DiscardPolicy::New`)
//!   so the gateway answers 503 instead of silently dropping old calls.
//! * The **dead-letter stream** (default `FAAS_ASYNC_DEAD`, subjects `faas.async.dead.>`): limits
//!   retention (kept for [`QueueConfig::dead_letter_max_age`]), file storage; what the worker gave
//!   up on, with the reason in headers (see [`crate::worker`]).
//!
//! Both subject spaces sit under one prefix and do not overlap, as JetStream requires.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use faas_core::FunctionRef;

use crate::error::Error;

/// Connection and naming settings shared by the publisher and the worker.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The NATS server URL, e.g. `nats://127.0.0.1:4222`.
    pub nats_url: String,
    /// The work stream's name (no `.`, `*`, `>` or spaces). Default `FAAS_ASYNC`; tests use
    /// `faas-test-<pid>-<n>`. The dead-letter stream is this name plus `_DEAD`.
    pub stream: String,
    /// The subject prefix (dot-separated tokens). Default `faas.async`.
    pub subject_prefix: String,
    /// How long dead letters are kept. Default 7 days.
    pub dead_letter_max_age: Duration,
    /// Most messages the work stream holds (`-1` = no limit); beyond it `enqueue` fails.
    pub max_queued_messages: i64,
    /// Most bytes the work stream holds (`-1` = no limit); beyond it `enqueue` fails.
    pub max_queued_bytes: i64,
    /// A name for this connection, shown by the server's monitoring.
    pub connection_name: String,
}

impl QueueConfig {
    /// The defaults for a server at `nats_url`.
    pub fn new(nats_url: impl Into<String>) -> Self {
        Self {
            nats_url: nats_url.into(),
            stream: "FAAS_ASYNC".to_owned(),
            subject_prefix: "faas.async".to_owned(),
            dead_letter_max_age: Duration::from_secs(7 * 24 * 3600),
            max_queued_messages: -1,
            max_queued_bytes: -1,
            connection_name: "faas-queue".to_owned(),
        }
    }

    /// The stream names and subjects these settings give, after checking them.
    pub fn names(&self) -> Result<QueueNames, Error> {
        QueueNames::new(&self.stream, &self.subject_prefix)
    }
}

/// The stream names and subjects derived from [`QueueConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    /// The work stream.
    pub stream: String,
    /// The dead-letter stream.
    pub dead_letter_stream: String,
    prefix: String,
}

impl QueueNames {
    /// Checks `stream` and `prefix` and derives the names.
    pub fn new(stream: &str, prefix: &str) -> Result<Self, Error> {
        let bad_stream = stream.is_empty()
            || stream
                .chars()
                .any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace());
        if bad_stream {
            return Err(Error::Config(format!(
                "stream name {stream:?} must be non-empty without '.', '*', '>', slashes or spaces"
            )));
        }
        let bad_prefix = prefix.split('.').any(|token| {
            token.is_empty()
                || token
                    .chars()
                    .any(|c| matches!(c, '*' | '>') || c.is_whitespace())
        });
        if bad_prefix {
            return Err(Error::Config(format!(
                "subject prefix {prefix:?} must be dot-separated non-empty tokens without wildcards"
            )));
        }
        Ok(Self {
            stream: stream.to_owned(),
            dead_letter_stream: format!("{stream}_DEAD"),
            prefix: prefix.to_owned(),
        })
    }

    /// The subject an invocation of `function` is published to.
    pub fn invoke_subject(&self, function: &FunctionRef) -> String {
        format!(
            "{}.invoke.{}.{}",
            self.prefix,
            subject_token(&function.namespace),
            subject_token(&function.name)
        )
    }

    /// The work stream's subjects (`<prefix>.invoke.>`).
    pub fn invoke_subjects(&self) -> String {
        format!("{}.invoke.>", self.prefix)
    }

    /// The subject a dead letter for `function` is published to.
    pub fn dead_letter_subject(&self, function: &FunctionRef) -> String {
        format!(
            "{}.dead.{}.{}",
            self.prefix,
            subject_token(&function.namespace),
            subject_token(&function.name)
        )
    }

    /// The dead-letter stream's subjects (`<prefix>.dead.>`).
    pub fn dead_letter_subjects(&self) -> String {
        format!("{}.dead.>", self.prefix)
    }
}

/// A name as one subject token. Valid function names and namespaces (DNS-1123) pass unchanged;
/// anything that would split or widen the subject is replaced by `_`.
fn subject_token(s: &str) -> String {
    if s.is_empty() {
        return "_".to_owned();
    }
    s.chars()
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

/// Connects to the server named in `config`. The client reconnects by itself after a server
/// restart; publishes and acks made while disconnected are buffered (bounded by async-nats).
pub async fn connect(config: &QueueConfig) -> Result<async_nats::Client, Error> {
    async_nats::ConnectOptions::new()
        .name(&config.connection_name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .connect(&config.nats_url)
        .await
        .map_err(|e| Error::Connect {
            url: config.nats_url.clone(),
            source: e.into(),
        })
}

/// Creates the work and dead-letter streams unless they exist. Existing streams are left as they
/// are (changing retention of a stream is refused by the server anyway).
pub async fn ensure_streams(
    js: &jetstream::Context,
    config: &QueueConfig,
    names: &QueueNames,
) -> Result<stream::Stream, Error> {
    let work = stream::Config {
        name: names.stream.clone(),
        description: Some("faas async invocations (faas-queue)".to_owned()),
        subjects: vec![names.invoke_subjects()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::New,
        max_messages: config.max_queued_messages,
        max_bytes: config.max_queued_bytes,
        ..Default::default()
    };
    let dead = stream::Config {
        name: names.dead_letter_stream.clone(),
        description: Some("faas async invocations given up on (faas-queue)".to_owned()),
        subjects: vec![names.dead_letter_subjects()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        max_age: config.dead_letter_max_age,
        ..Default::default()
    };
    js.get_or_create_stream(dead)
        .await
        .map_err(|e| Error::Stream {
            stream: names.dead_letter_stream.clone(),
            source: e.into(),
        })?;
    js.get_or_create_stream(work)
        .await
        .map_err(|e| Error::Stream {
            stream: names.stream.clone(),
            source: e.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_subjects() {
        let n = QueueNames::new("FAAS_ASYNC", "faas.async").unwrap();
        let f = FunctionRef::new("echo", None);
        assert_eq!(n.invoke_subject(&f), "faas.async.invoke.openfaas-fn.echo");
        assert_eq!(n.invoke_subjects(), "faas.async.invoke.>");
        assert_eq!(n.dead_letter_stream, "FAAS_ASYNC_DEAD");
        assert_eq!(
            n.dead_letter_subject(&f),
            "faas.async.dead.openfaas-fn.echo"
        );
        assert_eq!(n.dead_letter_subjects(), "faas.async.dead.>");

        let t = QueueNames::new("faas-test-12-3", "faas-test-12-3").unwrap();
        assert_eq!(
            t.invoke_subject(&FunctionRef::new("a.b*", Some("x y"))),
            "faas-test-12-3.invoke.x_y.a_b_"
        );
    }

    #[test]
    fn rejects_bad_names() {
        for stream in ["", "a.b", "a b", "a>"] {
            assert!(QueueNames::new(stream, "p").is_err(), "{stream:?}");
        }
        for prefix in ["", "a..b", ".a", "a.*", "a.>"] {
            assert!(QueueNames::new("s", prefix).is_err(), "{prefix:?}");
        }
    }
}
