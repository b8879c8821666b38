//! The local stand-ins for the parts of the seed's world that are outside this machine, for the
//! verbatim walkthrough (`seed_verbatim`):
//!
//! - [`ServerAddress`]: the seed's server `192.168.0.107:8080`, which is not on the reader's
//!   machine (so faas-cli warns that plain HTTP is not secure). A bridge of the test's own with a
//!   198.18.x.1 address (the benchmarking range), and a TCP relay on its port 8080 to faasd's
//!   gateway on 127.0.0.1.
//! - [`figlet_store`]: the function store with the seed's `Figlet` for armhf, its image built here
//!   (busybox, our watchdog and a small figlet in awk drawing the standard FIGlet font's letters
//!   with figlet's default smushing rules) and pushed to the tests' registry.
//! - [`RssFeed`]: `https://blog.alexellis.io/rss/`, an HTTP server on the bridge address that
//!   answers a feed mentioning docker.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt as _;

use faas_e2e::faas_cli::FaasCli;
use faas_provider_containerd::cni::conflicting_route;
use faas_provider_containerd::config::Ipv4Net;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::seed_support::SeedWorld;

/// The seed's server: an address of a bridge this test created, port 8080 relayed to faasd.
pub(crate) struct ServerAddress {
    /// The bridge device.
    bridge: String,
    /// Its address, `198.18.x.1`.
    pub(crate) ip: Ipv4Addr,
    relay: tokio::task::JoinHandle<()>,
}

impl ServerAddress {
    /// Creates the bridge and relays `<ip>:8080` to `gateway`.
    pub(crate) async fn start(gateway: SocketAddr) -> Self {
        let bridge = format!("fsw{}", std::process::id() % 100_000);
        let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
        let subnet = (0..250u32)
            .map(|i| (std::process::id() + i) % 250)
            .filter_map(|x| Ipv4Net::parse(&format!("198.18.{x}.0/24")))
            .find(|s| conflicting_route(&routes, s, "").is_none())
            .expect("a free 198.18.x.0/24");
        let ip = subnet.gateway();
        let _ = ip_command(&["link", "del", &bridge]);
        ip_command(&["link", "add", &bridge, "type", "bridge"]).expect("creating the bridge");
        ip_command(&["addr", "add", &format!("{ip}/24"), "dev", &bridge])
            .expect("addressing the bridge");
        ip_command(&["link", "set", &bridge, "up"]).expect("bringing the bridge up");
        let listener = TcpListener::bind((ip, 8080))
            .await
            .expect("listening on the server address");
        let relay = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(gateway).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { bridge, ip, relay }
    }

    /// `http://<ip>:8080`, the seed's `http://192.168.0.107:8080`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}:8080", self.ip)
    }
}

impl Drop for ServerAddress {
    fn drop(&mut self) {
        self.relay.abort();
        let _ = ip_command(&["link", "del", &self.bridge]);
    }
}

fn ip_command(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {args:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The feed the seed's second handler searches: served on `ip:<any port>` until dropped.
pub(crate) struct RssFeed {
    /// `http://<ip>:<port>/rss/`.
    pub(crate) url: String,
    server: tokio::task::JoinHandle<()>,
}

/// What the feed says: it mentions docker, not kubernetes.
const FEED: &str =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Alex Ellis' Blog</title>\
<item><title>Build a Raspberry Pi cluster with docker</title></item></channel></rss>\n";

impl RssFeed {
    /// Serves [`FEED`] on `ip` (any path, any method; one request per connection).
    pub(crate) async fn start(ip: Ipv4Addr) -> Self {
        let listener = TcpListener::bind((ip, 0))
            .await
            .expect("listening for the feed");
        let url = format!(
            "http://{}/rss/",
            listener.local_addr().expect("its address")
        );
        let server = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{FEED}",
                        FEED.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { url, server }
    }
}

impl Drop for RssFeed {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The figlet image's Dockerfile: busybox (sh, awk), our watchdog, `figlet` as the process.
const FIGLET_DOCKERFILE: &str = "ARG WATCHDOG_IMAGE=127.0.0.1:5000/faas/fwatchdog:latest
ARG BUSYBOX_IMAGE=127.0.0.1:5000/faas/busybox:latest
FROM ${WATCHDOG_IMAGE} AS watchdog

FROM ${BUSYBOX_IMAGE}
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
COPY figlet /usr/bin/figlet
COPY figlet.awk /usr/share/figlet/figlet.awk
USER 1000:1000
ENV fprocess=\"figlet\"
EXPOSE 8080
CMD [\"fwatchdog\"]
";

/// `figlet`: draws each line of stdin.
const FIGLET_SCRIPT: &str = "#!/bin/sh\nexec awk -f /usr/share/figlet/figlet.awk\n";

/// The drawing: the standard font's rows for the letters a, d, f, s (other characters are left
/// out), put side by side with figlet's default horizontal smushing (the overlap is the least
/// gap over the rows, plus one where the touching characters smush: equal characters,
/// underscore, hierarchy, opposite pairs, big X).
const FIGLET_AWK: &str = r#"BEGIN {
  H = 6
  glyph("a", "       ", "  __ _ ", " / _` |", "| (_| |", " \\__,_|", "       ")
  glyph("d", "     _ ", "  __| |", " / _` |", "| (_| |", " \\__,_|", "       ")
  glyph("f", "  __ ", " / _|", "| |_ ", "|  _|", "|_|  ", "     ")
  glyph("s", "     ", " ___ ", "/ __|", "\\__ \\", "|___/", "     ")
}
function glyph(c, r0, r1, r2, r3, r4, r5) {
  g[c ":0"] = r0; g[c ":1"] = r1; g[c ":2"] = r2; g[c ":3"] = r3; g[c ":4"] = r4; g[c ":5"] = r5
  known[c] = 1
}
function class(c) {
  if (c == "|") return 1
  if (c == "/" || c == "\\") return 2
  if (c == "[" || c == "]") return 3
  if (c == "{" || c == "}") return 4
  if (c == "(" || c == ")") return 5
  if (c == "<" || c == ">") return 6
  return 0
}
function smushem(l, r,    cl, cr, p) {
  if (l == " ") return r
  if (r == " ") return l
  if (prevw < 2 || curw < 2) return ""
  if (l == r) return l
  if (l == "_" && index("|/\\[]{}()<>", r)) return r
  if (r == "_" && index("|/\\[]{}()<>", l)) return l
  cl = class(l); cr = class(r)
  if (cl && cr && cl != cr) return cl > cr ? l : r
  p = l r
  if (p == "[]" || p == "][" || p == "{}" || p == "}{" || p == "()" || p == ")(") return "|"
  if (p == "/\\") return "|"
  if (p == "\\/") return "Y"
  if (p == "><") return "X"
  return ""
}
{
  for (r = 0; r < H; r++) out[r] = ""
  len = 0; prevw = 0
  n = length($0)
  for (i = 1; i <= n; i++) {
    c = substr($0, i, 1)
    if (!(c in known)) continue
    curw = length(g[c ":0"])
    amt = curw
    for (r = 0; r < H; r++) {
      row = g[c ":" r]
      p = len + 1
      while (p > 1 && (p > len || substr(out[r], p, 1) == " ")) p--
      ch1 = (p > len) ? "" : substr(out[r], p, 1)
      cb = 0
      while (cb < curw && substr(row, cb + 1, 1) == " ") cb++
      ch2 = substr(row, cb + 1, 1)
      a2 = cb + len - p
      if (ch1 == "" || ch1 == " ") a2++
      else if (ch2 != "" && smushem(ch1, ch2) != "") a2++
      if (a2 < amt) amt = a2
    }
    for (r = 0; r < H; r++) {
      row = g[c ":" r]
      line = out[r]
      for (k = 0; k < amt; k++) {
        pos = len - amt + k + 1
        if (pos >= 1) line = substr(line, 1, pos - 1) smushem(substr(line, pos, 1), substr(row, k + 1, 1)) substr(line, pos + 1)
      }
      out[r] = line substr(row, amt + 1)
    }
    len = len + curw - amt
    prevw = curw
  }
  for (r = 0; r < H; r++) print out[r]
}
"#;

/// The store document: the seed's list for armhf, Figlet's image the one built here (the others
/// are listed, never deployed).
fn store_json(figlet_image: &str) -> String {
    let entry = |title: &str, name: &str, description: &str, image: &str, fprocess: &str| {
        serde_json::json!({
            "title": title, "name": name, "author": "openfaas", "description": description,
            "images": { "armhf": image, "x86_64": image }, "fprocess": fprocess,
        })
    };
    let functions = vec![
        entry(
            "NodeInfo",
            "nodeinfo",
            "Get info about the machine that you're deploying on",
            "functions/nodeinfo:latest-armhf",
            "",
        ),
        entry(
            "Figlet",
            "figlet",
            "Generate ASCII logos with the figlet CLI",
            figlet_image,
            "figlet",
        ),
        entry(
            "SSL/TLS cert info",
            "certinfo",
            "Returns SSL/TLS certificate information for a given URL",
            "stefanprodan/certinfo:latest-armhf",
            "",
        ),
        entry(
            "nslookup",
            "nslookup",
            "Uses nslookup to return any IP addresses for a domain",
            "functions/alpine:latest-armhf",
            "xargs nslookup",
        ),
    ];
    serde_json::to_string_pretty(&serde_json::json!({ "version": "0.2.0", "functions": functions }))
        .expect("the store JSON")
}

/// Builds and pushes the figlet image with our CLI in a setup folder of its own (not a step of
/// the seed), writes the store file and returns its path.
pub(crate) async fn figlet_store(world: &SeedWorld) -> String {
    let images = world.images.expect("a world with base images");
    let mut setup = FaasCli::new(&world.env.dir.join("store-setup"));
    for (name, value) in images.storage.env() {
        setup.export(&name, &value);
    }
    let image = format!("{}/store/figlet:latest-armhf", images.registry);
    setup.write(
        "figlet.yml",
        &format!(
            "version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  figlet:\n    lang: dockerfile\n    handler: ./figlet\n    image: {image}\n"
        ),
    );
    setup.write("figlet/Dockerfile", FIGLET_DOCKERFILE);
    setup.write("figlet/figlet", FIGLET_SCRIPT);
    setup.write("figlet/figlet.awk", FIGLET_AWK);
    std::fs::set_permissions(
        setup.path("figlet/figlet"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod figlet");
    let mut build = vec!["build", "-f", "figlet.yml"];
    let build_args = images.build_args();
    build.extend(build_args.iter().map(String::as_str));
    setup.ok(&build).await;
    setup.ok(&["push", "-f", "figlet.yml"]).await;
    let store = world.env.dir.join("store").join("functions.json");
    std::fs::create_dir_all(store.parent().expect("a parent")).expect("the store folder");
    std::fs::write(&store, store_json(&image)).expect("writing the store");
    store.to_string_lossy().into_owned()
}
