//! secret create / list / update / remove.

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_round_trip_with_raw_file_bytes() {
    let gw = start().await;
    gw.login().await;
    gw.faas(
        &["secret", "create", "api-key", "--from-literal", "s3cr3t"],
        b"",
    )
    .await
    .ok();
    assert_eq!(
        gw.provider.secret_value("openfaas-fn", "api-key").unwrap(),
        b"s3cr3t"
    );

    let raw: &[u8] = b"  file\x00secret \n";
    std::fs::write(gw.dir().join("secret.bin"), raw).unwrap();
    gw.faas(
        &["secret", "create", "bin-key", "--from-file", "secret.bin"],
        b"",
    )
    .await
    .ok();
    assert_eq!(
        gw.provider.secret_value("openfaas-fn", "bin-key").unwrap(),
        raw
    );

    let exists = gw
        .faas(&["secret", "create", "api-key", "--from-literal", "x"], b"")
        .await;
    assert!(
        exists.failed_with_one_line().contains("already exists"),
        "{exists:?}"
    );

    let listed = gw.faas(&["secret", "list"], b"").await.ok();
    assert_eq!(listed.stdout, "NAME\napi-key\nbin-key\n");

    gw.faas(&["secret", "update", "api-key"], b"rotated\n")
        .await
        .ok();
    assert_eq!(
        gw.provider.secret_value("openfaas-fn", "api-key").unwrap(),
        b"rotated"
    );

    gw.faas(&["secret", "remove", "api-key"], b"").await.ok();
    let gone = gw.faas(&["secret", "rm", "api-key"], b"").await;
    assert!(
        gone.failed_with_one_line()
            .contains("unable to find secret: api-key"),
        "{gone:?}"
    );
    let bad = gw
        .faas(
            &["secret", "create", "Bad_Name", "--from-literal", "x"],
            b"",
        )
        .await;
    bad.failed_with_one_line();
}
