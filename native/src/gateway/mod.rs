//! `oncp gateway`: a real oNCP gateway on core's gateway session — TLS
//! (rustls), Juniper-style sign-in pages issuing DSID cookies, the tunnel
//! endpoint, ESP on UDP, and a data plane (echo, or a TUN device).

pub mod cookies;
pub mod counters;
pub mod credentials;
pub mod dataplane;
pub mod drain;
pub mod esp_socket;
pub mod http;
pub mod login;
pub mod portal;
pub mod protocol;
pub mod pulse_login;
pub mod saml;
pub mod settings;
pub mod tunnel;
pub mod web;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use ipnet::Ipv4Net;
use oncp_core::esp::{Cipher, Integrity};
use oncp_core::tunnel::{EspConfig, Prefix, TunnelConfig};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use cookies::CookieStore;
use counters::{CounterSnapshot, Counters};
use dataplane::{AddressTable, DataPlane};
use esp_socket::SpiTable;

/// Where the gateway's certificate comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// Generate a self-signed certificate for these names.
    SelfSigned(Vec<String>),
    /// PEM certificate chain and key files.
    Files {
        /// Certificate chain.
        cert: std::path::PathBuf,
        /// Private key.
        key: std::path::PathBuf,
    },
}

/// The network side of the gateway.
#[derive(Debug, Clone)]
pub enum DataPlaneMode {
    /// Answer ICMP/UDP echo to the gateway's tunnel address in-process.
    Echo,
    /// A TUN device (root): the kernel routes tunnel traffic.
    Tun {
        /// Device name; kernel-chosen if `None`.
        name: Option<String>,
    },
}

/// Everything `oncp gateway` serves.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// TLS (HTTPS) listening address.
    pub listen: SocketAddr,
    /// ESP UDP listening port on the same address (0: any free port).
    pub esp_port: u16,
    /// Offer ESP at all.
    pub esp: bool,
    /// Certificate.
    pub cert: CertSource,
    /// Users who may sign in (name, password).
    pub users: Vec<(String, String)>,
    /// DSID cookies accepted without signing in (for tests and scripts).
    pub dsids: Vec<String>,
    /// Tunnel address pool; the first host is the gateway's own address.
    pub pool: Ipv4Net,
    /// IPv6 pool (Pulse clients get an address in it).
    pub pool6: Option<ipnet::Ipv6Net>,
    /// Tunnel protocols served.
    pub protocol: protocol::ProtocolChoice,
    /// oNCP tunnels get status 8 after the hostname packet.
    pub disable_oncp: bool,
    /// Pulse clients are told ESP carries both IP families (0x4024 = 1)
    /// and get IPv6 over ESP too.
    pub esp_both_families: bool,
    /// Split-include routes sent to clients (empty: none).
    pub routes: Vec<Ipv4Net>,
    /// Split-exclude routes.
    pub exclude: Vec<Ipv4Net>,
    /// DNS servers.
    pub dns: Vec<Ipv4Addr>,
    /// WINS servers.
    pub wins: Vec<Ipv4Addr>,
    /// DNS search domain.
    pub domain: Option<String>,
    /// Tunnel MTU.
    pub mtu: u32,
    /// ESP cipher.
    pub cipher: Cipher,
    /// ESP integrity algorithm.
    pub integrity: Integrity,
    /// LZO-compress what goes to clients over ESP.
    pub compression: bool,
    /// Rekey ESP this often.
    pub rekey_after: Option<std::time::Duration>,
    /// ESP DPD / fallback interval announced to clients.
    pub dpd: std::time::Duration,
    /// The data plane.
    pub dataplane: DataPlaneMode,
    /// Sign-in steps (realms, second factor, confirmation, roles).
    pub login: login::config::LoginConfig,
    /// Serve TLS through OpenSSL with only TLS 1.2 RSA-kex AES-CBC suites
    /// (`--legacy-tls`), as old gateways do.
    pub legacy_tls: bool,
    /// Whether the ESP socket uses the kernel's UDP offloads (GSO, GRO,
    /// batched receives; `--no-offload` turns them off).
    pub offload: crate::esp_batch::Offload,
}

impl GatewayConfig {
    /// A loopback gateway in echo mode with self-signed TLS: what
    /// `oncp demo` and tests start from.
    pub fn loopback_echo() -> Self {
        GatewayConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            esp_port: 0,
            esp: true,
            cert: CertSource::SelfSigned(vec!["localhost".into(), "127.0.0.1".into()]),
            users: Vec::new(),
            dsids: Vec::new(),
            pool: "10.10.1.0/24".parse().expect("pool"),
            pool6: None,
            protocol: protocol::ProtocolChoice::Both,
            disable_oncp: false,
            esp_both_families: false,
            routes: vec!["10.10.1.0/24".parse().expect("route")],
            exclude: Vec::new(),
            dns: Vec::new(),
            wins: Vec::new(),
            domain: None,
            mtu: 1400,
            cipher: Cipher::Aes128Cbc,
            integrity: Integrity::HmacSha1_96,
            compression: false,
            rekey_after: None,
            dpd: std::time::Duration::from_secs(15),
            dataplane: DataPlaneMode::Echo,
            login: Default::default(),
            legacy_tls: false,
            offload: crate::esp_batch::Offload::On,
        }
    }

    /// What every client is offered (its address is added per login):
    /// routes, DNS, WINS, domain, MTU and the ESP offer.
    fn tunnel_config(&self, esp_port: u16) -> TunnelConfig {
        let prefix = |n: &Ipv4Net| Prefix {
            addr: n.network(),
            len: n.prefix_len(),
        };
        let secs = |d: std::time::Duration| u32::try_from(d.as_secs()).unwrap_or(u32::MAX);
        TunnelConfig {
            dns: self.dns.iter().map(|&a| a.into()).collect(),
            wins: self.wins.clone(),
            search_domains: self.domain.iter().cloned().collect(),
            include_v4: self.routes.iter().map(prefix).collect(),
            // IPv6 (Pulse): the pool is the one IPv6 network behind us, so
            // clients route only it into the tunnel (an empty list would
            // take all their IPv6 traffic).
            include_v6: self
                .pool6
                .iter()
                .map(|n| Prefix {
                    addr: n.network(),
                    len: n.prefix_len(),
                })
                .collect(),
            exclude_v4: self.exclude.iter().map(prefix).collect(),
            mtu: Some(self.mtu),
            esp: EspConfig {
                port: self.esp.then_some(esp_port),
                cipher: Some(self.cipher.code()),
                integrity: Some(self.integrity.code()),
                compression: self.compression,
                lifetime_secs: self.rekey_after.map(secs),
                lifetime_bytes: None,
                dpd_secs: Some(secs(self.dpd)),
                replay_protection: Some(true),
                both_families: self.esp_both_families,
            },
            ..TunnelConfig::default()
        }
    }
}

/// State shared by the gateway's tasks.
pub struct Shared {
    config: GatewayConfig,
    tunnel_config: TunnelConfig,
    cookies: CookieStore,
    login_pending: login::pending::PendingStore,
    saml: saml::state::SamlState,
    counters: Counters,
    spis: Arc<SpiTable>,
    addresses: Arc<AddressTable>,
    esp_socket: Arc<crate::esp_batch::EspSocket>,
    dataplane: DataPlane,
    shutdown: watch::Sender<bool>,
    /// Test aid: bumped to make every tunnel drop its TLS connection.
    drop_tunnels: watch::Sender<u64>,
}

/// A running gateway.
pub struct GatewayHandle {
    /// The TLS address it listens on.
    pub tls_addr: SocketAddr,
    /// The ESP address it listens on.
    pub esp_addr: SocketAddr,
    /// `pin-sha256:…` of its certificate.
    pub pin: String,
    /// Its certificate (PEM).
    pub cert_pem: String,
    /// The TUN device, in TUN mode.
    pub tun_name: Option<String>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for GatewayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayHandle")
            .field("tls_addr", &self.tls_addr)
            .field("esp_addr", &self.esp_addr)
            .finish_non_exhaustive()
    }
}

impl GatewayHandle {
    /// The user a DSID was issued to, if it is still valid (not counted
    /// as a cookie attempt).
    pub fn session_user(&self, dsid: &str) -> Option<String> {
        self.shared.cookies.sessions_of_dsid(dsid)
    }

    /// Issues a DSID for `user` as a sign-in would.
    pub fn issue_dsid(&self, user: &str) -> Option<String> {
        self.shared
            .cookies
            .issue(user, &mut crate::runtime::os_rng::OsRng)
    }

    /// Accepts `dsid` from now on, as `--dsid` does at start-up (e.g. a
    /// cookie a test or another process made). False if the pool is full.
    pub fn accept_dsid(&self, dsid: &str, user: &str) -> bool {
        self.shared.cookies.insert(dsid, user)
    }

    /// Forgets `dsid`, as a logout does. Returns whether it was valid.
    pub fn revoke_dsid(&self, dsid: &str) -> bool {
        self.shared.cookies.revoke(dsid)
    }

    /// The gateway's own tunnel address.
    pub fn tunnel_address(&self) -> Ipv4Addr {
        self.shared.cookies.gateway_address()
    }

    /// The gateway's own IPv6 tunnel address (with an IPv6 pool).
    pub fn tunnel_address6(&self) -> Option<std::net::Ipv6Addr> {
        let c = &self.shared.cookies;
        self.shared
            .config
            .pool6
            .map(|p6| tunnel::ipv6_for(p6, c.pool(), c.gateway_address()))
    }

    /// Totals over all tunnels.
    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }

    /// How many cookies clients presented (valid or not).
    pub fn cookie_attempts(&self) -> u64 {
        self.shared.cookies.attempts()
    }

    /// Test aid (fault injection): closes every tunnel's TLS connection
    /// abruptly — no termination notice, no close_notify — as a failing
    /// network or a crashed gateway process would. Cookies stay valid, so
    /// clients can reconnect.
    pub fn drop_tunnels(&self) {
        self.shared.drop_tunnels.send_modify(|n| *n += 1);
    }

    /// Test aid (fault injection): forgets every cookie, as if all
    /// sessions had expired; returns how many there were. Open tunnels
    /// keep running until they reconnect (see [`Self::drop_tunnels`]).
    pub fn expire_cookies(&self) -> usize {
        self.shared.cookies.revoke_all()
    }

    /// Ends every tunnel (termination notice) and stops accepting.
    pub fn shutdown(&self) {
        let _ = self.shared.shutdown.send(true);
    }
}

/// Starts the gateway: binds its sockets and spawns its tasks.
pub async fn serve(config: GatewayConfig) -> anyhow::Result<GatewayHandle> {
    let identity = match &config.cert {
        CertSource::SelfSigned(names) => {
            crate::tls::acceptor::GatewayTls::self_signed(names, config.legacy_tls)?
        }
        CertSource::Files { cert, key } => {
            crate::tls::acceptor::GatewayTls::from_files(cert, key, config.legacy_tls)?
        }
    };
    let listener = TcpListener::bind(config.listen).await?;
    let tls_addr = listener.local_addr()?;
    let esp_udp = UdpSocket::bind(SocketAddr::new(tls_addr.ip(), config.esp_port)).await?;
    let esp_addr = esp_udp.local_addr()?;
    match crate::esp_socket::enlarge_buffers(&esp_udp) {
        Ok(sizes) => tracing::debug!("ESP socket buffers: {sizes:?}"),
        Err(e) => tracing::debug!("ESP socket buffers: {e}"),
    }
    let esp_socket = Arc::new(crate::esp_batch::EspSocket::new(esp_udp, config.offload)?);
    tracing::debug!(
        "ESP socket {esp_addr} ({:?}: {} segments per send, GRO {})",
        config.offload,
        esp_socket.max_segments(),
        esp_socket.gro()
    );
    let cookies = CookieStore::new(config.pool);
    for d in &config.dsids {
        cookies.insert(d, "preissued");
    }
    let addresses = Arc::new(AddressTable::default());
    let counters = Counters::default();
    let gw_net = Ipv4Net::new(cookies.gateway_address(), config.pool.prefix_len())?;
    let (dataplane, tun_name) = match &config.dataplane {
        DataPlaneMode::Echo => (DataPlane::Echo, None),
        DataPlaneMode::Tun { name } => {
            let six = config.pool6.map(|p6| {
                (
                    tunnel::ipv6_for(p6, config.pool, cookies.gateway_address()),
                    p6.prefix_len(),
                )
            });
            let (dp, n) = dataplane::start_tun(
                dataplane::TunPlan {
                    name: name.as_deref(),
                    address: gw_net,
                    address6: six,
                    mtu: config.mtu,
                    offload: config.offload,
                },
                addresses.clone(),
                counters.tun.clone(),
            )
            .await?;
            (dp, Some(n))
        }
    };
    let spis = Arc::new(SpiTable::default());
    let (shutdown, _) = watch::channel(false);
    let (drop_tunnels, _) = watch::channel(0);
    let shared = Arc::new(Shared {
        tunnel_config: config.tunnel_config(esp_addr.port()),
        config,
        cookies,
        login_pending: Default::default(),
        saml: Default::default(),
        counters,
        spis: spis.clone(),
        addresses,
        esp_socket: esp_socket.clone(),
        dataplane,
        shutdown,
        drop_tunnels,
    });
    tokio::spawn(esp_socket::run(esp_socket, spis));
    let acceptor = identity.acceptor.clone();
    let accept_shared = shared.clone();
    tokio::spawn(async move {
        let mut stop = accept_shared.shutdown.subscribe();
        loop {
            let (tcp, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => { tracing::warn!("accept: {e}"); continue; }
                },
                _ = stop.changed() => return,
            };
            let acceptor = acceptor.clone();
            let shared = accept_shared.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                match acceptor.accept(tcp).await {
                    Ok(tls) => serve_connection(tls, peer, shared).await,
                    Err(e) => tracing::info!("TLS handshake with {peer} failed: {e}"),
                }
            });
        }
    });
    tracing::info!(
        "gateway listening on https://{tls_addr} (ESP on UDP {esp_addr}), certificate {}",
        identity.pin
    );
    Ok(GatewayHandle {
        tls_addr,
        esp_addr,
        pin: identity.pin,
        cert_pem: identity.cert_pem,
        tun_name,
        shared,
    })
}

/// Serves HTTP requests on one connection until it becomes a tunnel or
/// closes.
async fn serve_connection<S>(mut tls: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    use tokio::io::AsyncWriteExt;
    let mut leftover = Vec::new();
    loop {
        let req = match http::read_request(&mut tls, std::mem::take(&mut leftover)).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                // Clients often close without close_notify after a
                // response (OpenConnect's logout does): not worth a warning.
                tracing::debug!("connection from {peer} ended: {e}");
                return;
            }
        };
        let clock = crate::runtime::clock::Clock::new();
        let rng = || Box::new(crate::runtime::os_rng::BufferedOsRng::new());
        if req.head.is_tunnel_request() {
            let session = crate::oncp_adapter::gateway_for_request(
                &req.head,
                &req.rest,
                rng(),
                clock.now(),
                shared.config.disable_oncp,
            );
            return tunnel::run(tls, session, clock, peer, shared).await;
        }
        if shared.config.protocol.pulse() && oncp_core::pulse::http::is_upgrade_request(&req.head) {
            let session =
                crate::pulse_adapter::gateway_for_request(&req.head, &req.rest, rng(), clock.now());
            return tunnel::run(tls, session, clock, peer, shared).await;
        }
        tracing::debug!(
            "{peer}: {} {}",
            req.head.method,
            req.head.target.split('?').next().unwrap_or("")
        );
        let resp = web::handle(&req, &shared);
        if tls.write_all(&resp.to_bytes()).await.is_err() || tls.flush().await.is_err() {
            return;
        }
        if req
            .head
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            let _ = tls.shutdown().await;
            return;
        }
        leftover = req.rest;
    }
}
