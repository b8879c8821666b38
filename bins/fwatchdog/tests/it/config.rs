//! Configuration errors end the process with status 64 before it serves.

use std::time::Duration;

use crate::harness::Watchdog;

#[tokio::test]
async fn missing_fprocess_exits_64() {
    let mut watchdog = Watchdog::spawn(tempfile::tempdir().unwrap(), &[]);
    let status = watchdog
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exits");
    assert_eq!(status.code(), Some(64), "log:\n{}", watchdog.log());
    assert!(watchdog.log().contains("fprocess"), "{}", watchdog.log());
}

#[tokio::test]
async fn bad_duration_exits_64() {
    let vars = [("fprocess", "cat"), ("exec_timeout", "soon")];
    let mut watchdog = Watchdog::spawn(tempfile::tempdir().unwrap(), &vars);
    let status = watchdog
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exits");
    assert_eq!(status.code(), Some(64));
}
