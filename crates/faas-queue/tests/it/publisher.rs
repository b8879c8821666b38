//! The publisher alone: size limit against the server's max_payload, error mapping.

use faas_core::{ErrorKind, InvocationQueue};
use faas_queue::{Error, JetStreamQueue, QueueMetrics};

use crate::support::nats::NatsServer;
use crate::support::{self, invocation};

#[tokio::test]
async fn too_large_invocations_are_refused_with_a_clear_error() {
    let Some(nats) = NatsServer::start("too_large_invocations_are_refused_with_a_clear_error")
    else {
        return;
    };
    let config = support::queue_config(&nats.url());
    let queue = JetStreamQueue::connect(&config, QueueMetrics::default())
        .await
        .unwrap();
    assert_eq!(queue.max_payload(), 1024 * 1024, "nats-server's default");

    let mut inv = invocation("echo", "big", b"", None);
    let room = queue.max_body_len(&inv);
    inv.body = vec![b'x'; room];
    queue.publish(&inv).await.expect("exactly max_payload fits");

    inv.body.push(b'x');
    let err = queue.publish(&inv).await.unwrap_err();
    assert!(
        matches!(err, Error::MessageTooLarge { max: 1_048_576, .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("exceeds the nats server's max_payload of 1048576 bytes"));
    let provider_error = queue.enqueue(inv).await.unwrap_err();
    assert_eq!(provider_error.kind(), ErrorKind::Invalid);
}
