//! What the agent reports about its machine: computer name, IP address, OS, version.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

/// The environment an agent reports on activation and on every start.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub computer_name: String,
    pub ip_addr: String,
    pub os: String,
    pub agent_version: String,
}

impl Machine {
    /// Gathers the facts; `server` is one resolved address of the server, used to learn
    /// which local address reaches it.
    pub fn detect(server: Option<SocketAddr>) -> Self {
        let computer_name = sysinfo::System::host_name()
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".into());
        let os = match sysinfo::System::long_os_version() {
            Some(v) => format!("{v} ({})", std::env::consts::ARCH),
            None => format!("{} ({})", std::env::consts::OS, std::env::consts::ARCH),
        };
        Machine {
            computer_name,
            ip_addr: server
                .and_then(local_ip_towards)
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
                .to_string(),
            os,
            agent_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The local address the OS would use to reach `server`: "connecting" a UDP socket picks
/// the route without sending anything.
fn local_ip_towards(server: SocketAddr) -> Option<IpAddr> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().ok()?
    } else {
        "[::]:0".parse().ok()?
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect(server).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_server_is_reached_from_loopback() {
        let m = Machine::detect(Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(m.ip_addr, "127.0.0.1");
        assert!(!m.computer_name.is_empty());
        assert!(m.os.contains(std::env::consts::ARCH));
        assert_eq!(m.agent_version, env!("CARGO_PKG_VERSION"));
    }
}
