//! login / logout, the config file, and 401 handling.

use std::os::unix::fs::PermissionsExt as _;

use crate::support::{start, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_checks_the_password_and_writes_the_faas_cli_config() {
    let gw = start().await;

    let bad = gw.faas(&["login", "--password-stdin"], b"wrong\n").await;
    let line = bad.failed_with_one_line();
    assert!(
        line.contains("unable to login, either username or password is incorrect"),
        "{line}"
    );
    assert!(!gw.config_file().exists());

    let unauthenticated = gw.faas(&["list"], b"").await;
    let line = unauthenticated.failed_with_one_line();
    assert!(
        line.contains(
            "unauthorized access, run \"faas login\" to setup authentication for this server"
        ),
        "{line}"
    );

    let good = gw
        .faas(
            &["login", "--username", "admin", "--password-stdin"],
            format!("{PASSWORD}\n").as_bytes(),
        )
        .await
        .ok();
    assert!(
        good.stdout
            .contains(&format!("credentials saved for admin {}", gw.url())),
        "{good:?}"
    );
    let config = std::fs::read_to_string(gw.config_file()).unwrap();
    let token = base64_of(&format!("admin:{PASSWORD}"));
    assert_eq!(
        config,
        format!(
            "auths:\n- gateway: {}\n  auth: basic\n  token: {token}\n",
            gw.url()
        )
    );
    let file_mode = std::fs::metadata(gw.config_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    let dir_mode = std::fs::metadata(gw.config_file().parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!((file_mode, dir_mode), (0o600, 0o700));

    gw.faas(&["list"], b"").await.ok();

    // -p works too (with a warning), and -g wins over OPENFAAS_URL.
    let flag = gw
        .faas(
            &["login", "-g", &format!("{}/", gw.url()), "-p", PASSWORD],
            b"",
        )
        .await
        .ok();
    assert!(flag.stderr.contains("insecure"), "{flag:?}");

    gw.faas(&["logout"], b"").await.ok();
    gw.faas(&["list"], b"").await.failed_with_one_line();
    gw.faas(&["logout"], b"").await.failed_with_one_line();
}

fn base64_of(text: &str) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_gateway_is_one_line_and_non_zero() {
    let gw = start().await;
    let run = gw.faas(&["list", "-g", "http://127.0.0.1:1"], b"").await;
    let line = run.failed_with_one_line();
    assert!(
        line.contains("cannot connect to http://127.0.0.1:1"),
        "{line}"
    );
    assert!(line.to_lowercase().contains("refused"), "{line}");
}
