//! What `oncp connect`'s command line means beyond its fields, for the
//! tunnel and the web login alike: the TLS trust settings and the host
//! name reported to the gateway.

use super::args::ConnectArgs;
use crate::tls::client::TlsOptions;
use crate::tls::pin::Pin;

/// The `--servercert` pins, each checked.
pub fn pins(args: &ConnectArgs) -> anyhow::Result<Vec<Pin>> {
    args.servercert
        .iter()
        .map(|p| {
            p.parse::<Pin>()
                .map_err(|e| anyhow::anyhow!("--servercert {p}: {e}"))
        })
        .collect()
}

/// The TLS client settings of the command line (CA file, system trust,
/// `--servercert` pins, key log, backend, `--resolve`), for the tunnel and
/// for the web login alike.
pub fn tls_options(args: &ConnectArgs) -> anyhow::Result<TlsOptions> {
    Ok(TlsOptions {
        cafile: args.cafile.clone(),
        system_trust: !args.no_system_trust,
        pins: pins(args)?,
        keylog: args.keylog.clone(),
        backend: args.tls_backend,
        resolve: args
            .resolve
            .iter()
            .map(|r| (r.host.clone(), r.ip))
            .collect(),
    })
}

/// `--local-hostname`, else this machine's host name (as OpenConnect
/// sends by default), else `localhost`.
pub fn local_hostname(args: &ConnectArgs) -> String {
    if let Some(h) = &args.local_hostname {
        return h.clone();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
