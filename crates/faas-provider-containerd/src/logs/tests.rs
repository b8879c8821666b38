//! The store against real FIFOs (written by the test as a shim would) and real files.

use std::io::Write as _;

use futures_util::StreamExt as _;

use super::*;

fn request(name: &str) -> LogRequest {
    LogRequest {
        name: name.into(),
        namespace: "ns".into(),
        instance: None,
        tail: None,
        since: Some(Timestamp::UNIX_EPOCH),
        follow: false,
    }
}

async fn texts(store: &LogStore, req: LogRequest) -> Vec<String> {
    store.stream(req).map(|m| m.unwrap().text).collect().await
}

async fn messages(store: &LogStore, req: LogRequest) -> Vec<LogMessage> {
    store.stream(req).map(|m| m.unwrap()).collect().await
}

/// Writes to a FIFO the way the shim does (a writer on the pipe).
fn writer(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new().write(true).open(path).unwrap()
}

/// Waits until the replica's file holds `n` records.
async fn wait_records(store: &LogStore, name: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let got = texts(store, request(name)).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{n} records never arrived: {:?}",
        texts(store, request(name)).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_and_instance_filters_and_old_bare_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::new(dir.path(), LogLimits::default());
    let ns = dir.path().join("logs/ns");
    std::fs::create_dir_all(&ns).unwrap();
    // Files of the format before records had times are still read.
    std::fs::write(ns.join("echo.1-0.log"), "a\nb\nc\n").unwrap();
    std::fs::write(ns.join("echo.1-1.log"), "d\n").unwrap();
    std::fs::write(ns.join("other.1-0.log"), "x\n").unwrap();
    let tail = LogRequest {
        tail: Some(2),
        since: None,
        ..request("echo")
    };
    assert_eq!(texts(&store, tail.clone()).await.len(), 2);
    let only = LogRequest {
        instance: Some("echo.1-1".into()),
        ..request("echo")
    };
    assert_eq!(texts(&store, only).await, ["d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_happens_at_the_limit_and_reading_spans_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let limits = LogLimits {
        max_file_bytes: 400,
        rotated_files: 1,
        max_line_bytes: 64,
    };
    let store = LogStore::new(dir.path(), limits);
    let stdio = store.attach("ns", "rot.1-0").unwrap();
    let mut w = writer(&stdio.stdout);
    // A record is ~52 bytes (time, stream, flag, 12-byte text): 7 fit in 400 bytes.
    for i in 0..30 {
        writeln!(w, "line-{i:06}").unwrap();
    }
    store.detach("ns", "rot.1-0").await;
    let current = rotate::path(&dir.path().join("logs/ns"), "rot.1-0", 0);
    let rotated = rotate::path(&dir.path().join("logs/ns"), "rot.1-0", 1);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(size(&current) <= 400 && size(&rotated) <= 400);
    assert!(size(&rotated) > 400 - 60, "rotated only when full");
    assert!(!rotate::path(&dir.path().join("logs/ns"), "rot.1-0", 2).exists());
    let read = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| record::decode(l, Timestamp::UNIX_EPOCH).text)
            .collect()
    };
    let mut expected = read(&rotated);
    expected.extend(read(&current));
    let got = texts(&store, request("rot")).await;
    assert_eq!(got, expected);
    // The newest lines, in order, across both files.
    let newest: Vec<String> = (30 - got.len()..30)
        .map(|i| format!("line-{i:06}"))
        .collect();
    assert_eq!(got, newest);
    assert!(read(&rotated).len() > 1 && !read(&current).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_is_exact_and_times_come_from_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::new(dir.path(), LogLimits::default());
    let stdio = store.attach("ns", "fn.1-0").unwrap();
    let mut out = writer(&stdio.stdout);
    let mut err = writer(&stdio.stderr);
    let before = Timestamp::now();
    writeln!(out, "early-1").unwrap();
    writeln!(err, "early-2").unwrap();
    wait_records(&store, "fn", 2).await;
    let cut = Timestamp::now();
    writeln!(out, "late-1").unwrap();
    write!(err, "late-").unwrap();
    writeln!(err, "2").unwrap();
    wait_records(&store, "fn", 4).await;
    let after = Timestamp::now();

    // Read well after the write: the times are the write's, not the read's.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let read_at = Timestamp::now();
    let all = messages(&store, request("fn")).await;
    assert_eq!(all.len(), 4);
    for m in &all {
        assert!(
            before <= m.timestamp && m.timestamp <= after,
            "{m:?} not between {before} and {after}"
        );
        assert!(m.timestamp < read_at - jiff::SignedDuration::from_secs(1));
        assert_eq!(m.instance, "fn.1-0");
        assert_eq!(m.name, "fn");
    }
    let since = |t: Timestamp| LogRequest {
        since: Some(t),
        ..request("fn")
    };
    let mut late = texts(&store, since(cut)).await;
    late.sort();
    assert_eq!(late, ["late-1", "late-2"]);
    let mut early: Vec<String> = all
        .iter()
        .filter(|m| m.timestamp < cut)
        .map(|m| m.text.clone())
        .collect();
    early.sort();
    assert_eq!(early, ["early-1", "early-2"]);
    // Each line's own time as `since` includes it and everything after.
    for (i, m) in all.iter().enumerate() {
        assert_eq!(texts(&store, since(m.timestamp)).await.len(), all.len() - i);
    }
    store.detach("ns", "fn.1-0").await;
    assert!(!stdio.stdout.exists() && !stdio.stderr.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lines_are_stored_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let limits = LogLimits {
        max_line_bytes: 1000,
        ..LogLimits::default()
    };
    let store = LogStore::new(dir.path(), limits);
    let stdio = store.attach("ns", "big.1-0").unwrap();
    let mut w = writer(&stdio.stdout);
    let chunk = vec![b'z'; 64 * 1024];
    for _ in 0..16 {
        w.write_all(&chunk).unwrap(); // 1 MiB without a newline
    }
    writeln!(w, "!").unwrap();
    store.detach("ns", "big.1-0").await;
    let got = texts(&store, request("big")).await;
    assert_eq!(got.len(), 1024 * 1024 / 1000 + 1);
    assert!(got.iter().all(|t| t.len() <= 1000));
    assert_eq!(got.concat().len(), 1024 * 1024 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_get_new_lines_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::new(dir.path(), LogLimits::default());
    let stdio = store.attach("ns", "tail.1-0").unwrap();
    let mut w = writer(&stdio.stdout);
    writeln!(w, "before").unwrap();
    wait_records(&store, "tail", 1).await;
    let mut follow = store.stream(LogRequest {
        follow: true,
        ..request("tail")
    });
    let first = follow.next().await.unwrap().unwrap();
    assert_eq!(first.text, "before");
    for i in 0..3 {
        writeln!(w, "after-{i}").unwrap();
    }
    for i in 0..3 {
        let m = tokio::time::timeout(Duration::from_secs(5), follow.next())
            .await
            .expect("a followed line")
            .unwrap()
            .unwrap();
        assert_eq!(m.text, format!("after-{i}"));
    }
    // Another function's lines are not followed.
    let other = store.attach("ns", "zzz.1-0").unwrap();
    writeln!(writer(&other.stdout), "not mine").unwrap();
    writeln!(w, "last").unwrap();
    let m = tokio::time::timeout(Duration::from_secs(5), follow.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(m.text, "last");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_store_reads_on_where_a_dropped_one_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::new(dir.path(), LogLimits::default());
    let stdio = store.attach("ns", "keep.1-0").unwrap();
    let mut w = writer(&stdio.stdout);
    // The shim holds a read end too, so its writes never fail while no store reads.
    let _shim = {
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&stdio.stdout)
            .unwrap()
    };
    writeln!(w, "one").unwrap();
    wait_records(&store, "keep", 1).await;
    drop(store);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Written while no store reads: waits in the pipe.
    writeln!(w, "two").unwrap();
    let store = LogStore::new(dir.path(), LogLimits::default());
    assert_eq!(store.attach("ns", "keep.1-0").unwrap(), stdio);
    writeln!(w, "three").unwrap();
    assert_eq!(
        wait_records(&store, "keep", 3).await,
        ["one", "two", "three"]
    );
}
