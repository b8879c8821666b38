//! The CNI bridge network: the conflist built from [`NetworkConfig`] (pure) and the plugin
//! binaries run directly, plugin by plugin, as a CNI runtime does (docs/containerd.md §4, §9.5).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{json, Value};
use sha2::{Digest, Sha512};
use tokio::io::AsyncWriteExt;

use crate::config::{Ipv4Net, NetworkConfig};
use crate::error::{Error, Result};

const CNI_VERSION: &str = "0.4.0";

/// The plugins of the network, in ADD order, each a complete config without `prevResult`.
pub fn plugin_configs(net: &NetworkConfig) -> Vec<Value> {
    let mut plugins = vec![json!({
        "cniVersion": CNI_VERSION,
        "name": net.name,
        "type": "bridge",
        "bridge": net.bridge,
        "isGateway": true,
        "ipMasq": true,
        "ipam": {
            "type": "host-local",
            "subnet": net.subnet.to_string(),
            "dataDir": net.ipam_dir,
            "routes": [{ "dst": "0.0.0.0/0" }],
        },
    })];
    if net.firewall {
        plugins.push(json!({ "cniVersion": CNI_VERSION, "name": net.name, "type": "firewall" }));
    }
    plugins
}

/// The conflist equivalent of [`plugin_configs`], for operators who read `/etc/cni/net.d`.
pub fn conflist(net: &NetworkConfig) -> Value {
    let plugins: Vec<Value> = plugin_configs(net)
        .into_iter()
        .map(|mut p| {
            if let Some(o) = p.as_object_mut() {
                o.remove("cniVersion");
                o.remove("name");
            }
            p
        })
        .collect();
    json!({ "cniVersion": CNI_VERSION, "name": net.name, "plugins": plugins })
}

/// The first IPv4 address of a CNI result (`ips[0].address`, CIDR form).
pub fn result_ip(result: &Value) -> Option<Ipv4Addr> {
    result["ips"].as_array()?.iter().find_map(|ip| {
        ip["address"]
            .as_str()?
            .split('/')
            .next()?
            .parse::<Ipv4Addr>()
            .ok()
    })
}

/// The nat chain the bridge plugin's ipMasq creates for a container: `CNI-` + 24 hex digits of
/// sha512(network name + container id).
pub fn masquerade_chain(network: &str, container_id: &str) -> String {
    let digest = Sha512::digest(format!("{network}{container_id}").as_bytes());
    format!("CNI-{}", &crate::image::manifest::hex(&digest)[..24])
}

/// Whether a route in `/proc/net/route` text overlaps `subnet` on a device other than `bridge`.
pub fn conflicting_route(proc_net_route: &str, subnet: &Ipv4Net, bridge: &str) -> Option<String> {
    proc_net_route.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 || f[0] == bridge {
            return None;
        }
        let dest = u32::from_str_radix(f[1], 16).ok()?.swap_bytes();
        let mask = u32::from_str_radix(f[7], 16).ok()?.swap_bytes();
        if mask == 0 {
            return None; // the default route overlaps everything
        }
        let route = Ipv4Net {
            addr: Ipv4Addr::from(dest),
            prefix: mask.count_ones() as u8,
        };
        route
            .overlaps(subnet)
            .then(|| format!("{route} via {}", f[0]))
    })
}

/// Runs the plugins of one network.
#[derive(Debug, Clone)]
pub struct Cni {
    net: NetworkConfig,
    plugin_dir: PathBuf,
}

impl Cni {
    /// A runner for `net`, failing when none of its plugin directories has the `bridge` plugin.
    pub fn new(net: NetworkConfig) -> Result<Self> {
        let plugin_dir = net
            .plugin_dirs
            .iter()
            .find(|d| d.join("bridge").is_file())
            .cloned()
            .ok_or_else(|| Error::Cni {
                command: "setup",
                container: String::new(),
                message: format!(
                    "no CNI bridge plugin in {:?}: install containernetworking-plugins",
                    net.plugin_dirs
                ),
            })?;
        Ok(Self { net, plugin_dir })
    }

    /// The network's configuration.
    pub fn network(&self) -> &NetworkConfig {
        &self.net
    }

    /// Fails when another device routes an overlapping subnet (a second bridge on the same
    /// range answers requests from the wrong container).
    pub fn check_subnet(&self) -> Result<()> {
        let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
        match conflicting_route(&routes, &self.net.subnet, &self.net.bridge) {
            Some(route) => Err(Error::Invalid(format!(
                "subnet {} for bridge {} overlaps the existing route {route}: choose another subnet",
                self.net.subnet, self.net.bridge
            ))),
            None => Ok(()),
        }
    }

    /// Connects the network namespace pinned at `netns` as `container_id`; returns the CNI
    /// result and the address to reach `port` at.
    pub async fn add(
        &self,
        container_id: &str,
        netns: &Path,
        port: u16,
    ) -> Result<(Value, SocketAddr)> {
        let netns = netns.to_string_lossy();
        let netns = netns.as_ref();
        let mut prev: Option<Value> = None;
        for (i, plugin) in plugin_configs(&self.net).into_iter().enumerate() {
            let mut conf = plugin;
            if let Some(p) = &prev {
                conf["prevResult"] = p.clone();
            }
            match self.exec("ADD", container_id, netns, &conf).await {
                Ok(out) => prev = Some(out),
                Err(e) => {
                    // Undo the plugins that succeeded, newest first.
                    let done = plugin_configs(&self.net);
                    for conf in done[..i].iter().rev() {
                        let mut conf = conf.clone();
                        if let Some(p) = &prev {
                            conf["prevResult"] = p.clone();
                        }
                        let _ = self.exec("DEL", container_id, netns, &conf).await;
                    }
                    return Err(e);
                }
            }
        }
        let result = prev.unwrap_or(Value::Null);
        let ip = result_ip(&result).ok_or_else(|| Error::Cni {
            command: "ADD",
            container: container_id.to_owned(),
            message: format!("no IPv4 address in the result {result}"),
        })?;
        Ok((result, SocketAddr::from((ip, port))))
    }

    /// Disconnects `container_id`, releasing its address and iptables rules. Works when its
    /// namespace at `netns` is gone too (then the masquerade chain is removed here, since the
    /// bridge plugin only finds it through the interface). Errors are logged, not returned:
    /// DEL is cleanup.
    pub async fn del(&self, container_id: &str, netns: &Path, prev_result: Option<&Value>) {
        let netns = if crate::netns::is_pinned(netns) {
            netns.to_string_lossy().into_owned()
        } else {
            String::new()
        };
        for plugin in plugin_configs(&self.net).into_iter().rev() {
            let mut conf = plugin;
            if let Some(p) = prev_result {
                conf["prevResult"] = p.clone();
            }
            if let Err(e) = self.exec("DEL", container_id, &netns, &conf).await {
                tracing::warn!(container = container_id, error = %e, "cni DEL");
            }
        }
        if netns.is_empty() {
            if let Some(ip) = prev_result.and_then(result_ip) {
                self.remove_masquerade(container_id, ip).await;
            }
        }
    }

    async fn remove_masquerade(&self, container_id: &str, ip: Ipv4Addr) {
        let chain = masquerade_chain(&self.net.name, container_id);
        let source = format!("{ip}/32");
        remove_nat_rules(|rule| rule_jumps_to(rule, &chain) && rule.contains(&source)).await;
        let _ = run_iptables(&["-t", "nat", "-F", &chain]).await;
        let _ = run_iptables(&["-t", "nat", "-X", &chain]).await;
    }

    async fn exec(
        &self,
        command: &'static str,
        container_id: &str,
        netns: &str,
        conf: &Value,
    ) -> Result<Value> {
        let plugin = conf["type"].as_str().unwrap_or_default();
        let cni_err = |message: String| Error::Cni {
            command,
            container: container_id.to_owned(),
            message,
        };
        let path =
            std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".to_owned());
        let mut child = tokio::process::Command::new(self.plugin_dir.join(plugin))
            .env_clear()
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", container_id)
            .env("CNI_NETNS", netns)
            .env("CNI_IFNAME", &self.net.interface)
            .env("CNI_PATH", &self.plugin_dir)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| cni_err(format!("starting plugin {plugin}: {e}")))?;
        let input = serde_json::to_vec(conf).unwrap_or_default();
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(&input)
                .await
                .map_err(|e| cni_err(format!("writing to plugin {plugin}: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| cni_err(format!("waiting for plugin {plugin}: {e}")))?;
        if !out.status.success() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let msg = serde_json::from_slice::<Value>(&out.stdout)
                .ok()
                .and_then(|v| {
                    Some(format!(
                        "{} {}",
                        v["msg"].as_str()?,
                        v["details"].as_str().unwrap_or_default()
                    ))
                })
                .unwrap_or_else(|| format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
            return Err(cni_err(format!("plugin {plugin}: {}", msg.trim())));
        }
        if command == "DEL" || out.stdout.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| cni_err(format!("plugin {plugin} result: {e}")))
    }
}

/// Removes the masquerade rules and chains the bridge plugin made for every container of
/// `network` (the plugin names the network in each rule's comment): what a CNI DEL per
/// container would have removed, for a network whose containers are gone without one (a
/// killed faasd, a purged namespace). Returns how many rules were removed. Errors of single
/// `iptables` calls are skipped: this is cleanup.
pub async fn remove_network_nat(network: &str) -> usize {
    let marker = format!("name: \\\"{network}\\\"");
    let chains = remove_nat_rules(|rule| rule.contains(&marker)).await;
    for chain in &chains {
        let _ = run_iptables(&["-t", "nat", "-F", chain]).await;
        let _ = run_iptables(&["-t", "nat", "-X", chain]).await;
    }
    chains.len()
}

/// Deletes the `POSTROUTING` rules of the nat table that `select` picks (given each rule as
/// `iptables -S` prints it), each by its exact spec; the `CNI-` chains they jumped to.
async fn remove_nat_rules(select: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(out) = tokio::process::Command::new("iptables")
        .args(["-w", "-t", "nat", "-S", "POSTROUTING"])
        .output()
        .await
    else {
        return Vec::new();
    };
    let mut chains = Vec::new();
    for rule in String::from_utf8_lossy(&out.stdout).lines() {
        if !rule.starts_with("-A POSTROUTING ") || !select(rule) {
            continue;
        }
        let mut args = split_rule(rule);
        args[0] = "-D".to_owned();
        let mut argv = vec!["-t", "nat"];
        argv.extend(args.iter().map(String::as_str));
        if run_iptables(&argv).await.is_ok() {
            if let Some(chain) = args.windows(2).find(|w| w[0] == "-j").map(|w| &w[1]) {
                if chain.starts_with("CNI-") {
                    chains.push(chain.clone());
                }
            }
        }
    }
    chains
}

/// Whether the rule (as `iptables -S` prints it) jumps to `chain`.
fn rule_jumps_to(rule: &str, chain: &str) -> bool {
    rule.split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] == "-j" && w[1] == chain)
}

/// Splits a rule as `iptables -S` prints it into its arguments: words, with double-quoted
/// parts (a comment) kept whole and `\"` inside them unescaped.
pub fn split_rule(rule: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = rule.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            '\\' if quoted => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    args.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        args.push(word);
    }
    args
}

async fn run_iptables(args: &[&str]) -> std::io::Result<()> {
    let status = tokio::process::Command::new("iptables")
        .arg("-w")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("iptables {args:?} failed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflist_matches_faasd() {
        let c = conflist(&NetworkConfig::default());
        assert_eq!(c["name"], "openfaas-cni-bridge");
        assert_eq!(c["plugins"][0]["bridge"], "openfaas0");
        assert_eq!(c["plugins"][0]["ipam"]["subnet"], "10.62.0.0/16");
        assert_eq!(c["plugins"][1]["type"], "firewall");
        let p = plugin_configs(&NetworkConfig::default());
        assert_eq!(p[0]["name"], "openfaas-cni-bridge");
        assert_eq!(p[0]["cniVersion"], CNI_VERSION);
    }

    #[test]
    fn reads_the_address_of_a_result() {
        let r = json!({"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.62.0.5/16","gateway":"10.62.0.1"}]});
        assert_eq!(result_ip(&r), Some(Ipv4Addr::new(10, 62, 0, 5)));
        assert_eq!(result_ip(&json!({})), None);
    }

    #[test]
    fn masquerade_chain_is_cni_shaped() {
        let c = masquerade_chain("openfaas-cni-bridge", "echo.abc");
        assert!(c.starts_with("CNI-"));
        assert_eq!(c.len(), 28);
    }

    #[test]
    fn finds_conflicting_routes() {
        let routes =
            "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n\
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
openfaas0\t00003E0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let ours = Ipv4Net::parse("10.62.0.0/16").unwrap();
        assert_eq!(conflicting_route(routes, &ours, "openfaas0"), None);
        assert!(conflicting_route(routes, &ours, "testfn0").is_some());
        let lan = Ipv4Net::parse("192.0.2.0/25").unwrap();
        assert_eq!(
            conflicting_route(routes, &lan, "x").as_deref(),
            Some("192.0.2.0/24 via eth0")
        );
    }

    #[test]
    fn rules_split_as_iptables_prints_them() {
        let rule = r#"-A POSTROUTING -s 10.205.239.2/32 -m comment --comment "name: \"fe7919x0\" id: \"echo.1-0\"" -j CNI-2dc7e0a141ceba1d79a3f9b2"#;
        assert_eq!(
            split_rule(rule),
            [
                "-A",
                "POSTROUTING",
                "-s",
                "10.205.239.2/32",
                "-m",
                "comment",
                "--comment",
                r#"name: "fe7919x0" id: "echo.1-0""#,
                "-j",
                "CNI-2dc7e0a141ceba1d79a3f9b2",
            ]
        );
        assert!(rule_jumps_to(rule, "CNI-2dc7e0a141ceba1d79a3f9b2"));
        assert!(!rule_jumps_to(rule, "CNI-2dc7e0a141ceba1d79a3f9b"));
        assert!(rule.contains(&format!("name: \\\"{}\\\"", "fe7919x0")));
    }
}
