//! The built-in network setup (no `--script`): address, MTU, link up and
//! routes through rtnetlink (IPv4, and IPv6 when the tunnel has an IPv6
//! address), undone on exit.

use crate::netcfg::routes::RoutePlan;
use futures::TryStreamExt;
use ipnet::{Ipv4Net, Ipv6Net};
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use rtnetlink::{Handle, LinkUnspec, RouteMessageBuilder};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Errors configuring the network.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    /// The netlink socket could not be opened.
    #[error("opening netlink: {0}")]
    Open(#[from] std::io::Error),
    /// The device does not exist.
    #[error("no network device named {0}")]
    NoDevice(String),
    /// A netlink request failed.
    #[error("{what}: {source}")]
    Request {
        /// What was being done.
        what: String,
        /// The error.
        source: rtnetlink::Error,
    },
}

/// A netlink connection (its I/O runs on a spawned task).
#[derive(Debug, Clone)]
pub struct Netlink {
    handle: Handle,
}

/// Routes added outside the TUN device, removed by [`Netlink::undo`]
/// (routes through the device disappear with it).
#[derive(Debug, Default)]
pub struct Installed {
    bypass: Vec<RouteMessage>,
}

impl Installed {
    /// The bypass routes: (destination, next hop, output interface).
    pub fn bypass_routes(&self) -> Vec<(Ipv4Net, Option<Ipv4Addr>, u32)> {
        self.bypass
            .iter()
            .filter_map(|m| {
                let mut dst = None;
                let mut gw = None;
                let mut oif = None;
                for a in &m.attributes {
                    match a {
                        RouteAttribute::Destination(RouteAddress::Inet(d)) => dst = Some(*d),
                        RouteAttribute::Gateway(RouteAddress::Inet(g)) => gw = Some(*g),
                        RouteAttribute::Oif(i) => oif = Some(*i),
                        _ => {}
                    }
                }
                let net = Ipv4Net::new(dst?, m.header.destination_prefix_length).ok()?;
                Some((net, gw, oif?))
            })
            .collect()
    }
}

fn req(what: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> NetlinkError {
    let what = what.into();
    move |source| NetlinkError::Request { what, source }
}

impl Netlink {
    /// Opens a netlink connection; must be called inside a tokio runtime.
    pub fn open() -> Result<Netlink, NetlinkError> {
        let (conn, handle, _) = rtnetlink::new_connection()?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// The index of device `name`.
    pub async fn link_index(&self, name: &str) -> Result<u32, NetlinkError> {
        let mut links = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        match links.try_next().await {
            Ok(Some(link)) => Ok(link.header.index),
            _ => Err(NetlinkError::NoDevice(name.to_string())),
        }
    }

    /// Sets the MTU, brings `dev` up, adds the address and the routes of
    /// `plan`. Bypass routes copy the host's current route to each
    /// destination (gateway and device), so they keep working when the
    /// tunnel takes over the default route.
    pub async fn configure(
        &self,
        dev: &str,
        mtu: u32,
        plan: &RoutePlan,
    ) -> Result<Installed, NetlinkError> {
        let index = self.link_index(dev).await?;
        // Look the bypass routes up before the tunnel routes change them.
        let mut pending = Vec::new();
        for net in &plan.bypass {
            match self.lookup(net.network()).await? {
                Some((gw, oif)) if oif != index => pending.push(bypass_route(*net, gw, oif)),
                _ => tracing::debug!("no host route to keep for {net}"),
            }
        }
        for net in &plan.bypass6 {
            match self.lookup6(net.network()).await? {
                Some((gw, oif)) if oif != index => pending.push(bypass_route6(*net, gw, oif)),
                _ => tracing::debug!("no host route to keep for {net}"),
            }
        }
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(index).mtu(mtu).up().build())
            .execute()
            .await
            .map_err(req(format!("setting {dev} up with MTU {mtu}")))?;
        if let Some(addr) = plan.address {
            self.handle
                .address()
                .add(index, IpAddr::V4(addr.addr()), addr.prefix_len())
                .replace()
                .execute()
                .await
                .map_err(req(format!("adding address {addr} to {dev}")))?;
        }
        if let Some(addr) = plan.address6 {
            self.handle
                .address()
                .add(index, IpAddr::V6(addr.addr()), addr.prefix_len())
                .replace()
                .execute()
                .await
                .map_err(req(format!("adding address {addr} to {dev}")))?;
        }
        let mut installed = Installed::default();
        for msg in pending {
            let what = format!("adding bypass route {:?}", destination(&msg));
            self.handle
                .route()
                .add(msg.clone())
                .replace()
                .execute()
                .await
                .map_err(req(what))?;
            installed.bypass.push(msg);
        }
        for net in &plan.via_tunnel {
            let msg = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(net.network(), net.prefix_len())
                .output_interface(index)
                .build();
            self.handle
                .route()
                .add(msg)
                .replace()
                .execute()
                .await
                .map_err(req(format!("adding route {net} via {dev}")))?;
        }
        for net in &plan.via_tunnel6 {
            let msg = RouteMessageBuilder::<Ipv6Addr>::new()
                .destination_prefix(net.network(), net.prefix_len())
                .output_interface(index)
                .build();
            self.handle
                .route()
                .add(msg)
                .replace()
                .execute()
                .await
                .map_err(req(format!("adding route {net} via {dev}")))?;
        }
        Ok(installed)
    }

    /// Adds `addr`/`prefix_len` (either family) to device `dev`.
    pub async fn add_address(
        &self,
        dev: &str,
        addr: IpAddr,
        prefix_len: u8,
    ) -> Result<(), NetlinkError> {
        let index = self.link_index(dev).await?;
        self.handle
            .address()
            .add(index, addr, prefix_len)
            .replace()
            .execute()
            .await
            .map_err(req(format!("adding address {addr}/{prefix_len} to {dev}")))
    }

    /// Removes the bypass routes added by [`Netlink::configure`].
    pub async fn undo(&self, installed: Installed) {
        for msg in installed.bypass {
            if let Err(e) = self.handle.route().del(msg).execute().await {
                tracing::warn!("removing bypass route: {e}");
            }
        }
    }

    /// The kernel's route to `dst`: gateway (if any) and output device.
    async fn lookup(&self, dst: Ipv4Addr) -> Result<Option<(Option<Ipv4Addr>, u32)>, NetlinkError> {
        let msg = RouteMessageBuilder::<Ipv4Addr>::new()
            .destination_prefix(dst, 32)
            .build();
        Ok(self.route_for(msg).await.map(|(gw, oif)| {
            let gw = match gw {
                Some(RouteAddress::Inet(a)) => Some(a),
                _ => None,
            };
            (gw, oif)
        }))
    }

    /// The kernel's IPv6 route to `dst`: gateway (if any) and output device.
    async fn lookup6(
        &self,
        dst: Ipv6Addr,
    ) -> Result<Option<(Option<Ipv6Addr>, u32)>, NetlinkError> {
        let msg = RouteMessageBuilder::<Ipv6Addr>::new()
            .destination_prefix(dst, 128)
            .build();
        Ok(self.route_for(msg).await.map(|(gw, oif)| {
            let gw = match gw {
                Some(RouteAddress::Inet6(a)) => Some(a),
                _ => None,
            };
            (gw, oif)
        }))
    }

    /// The kernel's answer to the route query `msg`, either family: its
    /// gateway attribute (if any) and output device; `None` without a
    /// route or an output device.
    async fn route_for(&self, msg: RouteMessage) -> Option<(Option<RouteAddress>, u32)> {
        let mut answers = self.handle.route().get(msg).execute();
        let Ok(Some(route)) = answers.try_next().await else {
            return None;
        };
        let mut gw = None;
        let mut oif = None;
        for attr in &route.attributes {
            match attr {
                RouteAttribute::Gateway(a) => gw = Some(a.clone()),
                RouteAttribute::Oif(i) => oif = Some(*i),
                _ => {}
            }
        }
        oif.map(|o| (gw, o))
    }
}

fn bypass_route6(net: Ipv6Net, gw: Option<Ipv6Addr>, oif: u32) -> RouteMessage {
    let mut b = RouteMessageBuilder::<Ipv6Addr>::new()
        .destination_prefix(net.network(), net.prefix_len())
        .output_interface(oif);
    if let Some(gw) = gw {
        b = b.gateway(gw);
    }
    b.build()
}

fn bypass_route(net: Ipv4Net, gw: Option<Ipv4Addr>, oif: u32) -> RouteMessage {
    let mut b = RouteMessageBuilder::<Ipv4Addr>::new()
        .destination_prefix(net.network(), net.prefix_len())
        .output_interface(oif);
    if let Some(gw) = gw {
        b = b.gateway(gw);
    }
    b.build()
}

fn destination(msg: &RouteMessage) -> Option<String> {
    msg.attributes.iter().find_map(|a| match a {
        RouteAttribute::Destination(RouteAddress::Inet(d)) => {
            Some(format!("{d}/{}", msg.header.destination_prefix_length))
        }
        RouteAttribute::Destination(RouteAddress::Inet6(d)) => {
            Some(format!("{d}/{}", msg.header.destination_prefix_length))
        }
        _ => None,
    })
}
