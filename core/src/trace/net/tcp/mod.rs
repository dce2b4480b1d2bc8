//! TCP: segment headers, per-direction stream reassembly and the flow
//! table keyed by the 4-tuple.

mod flows;
mod header;
mod stream;

pub use flows::{FlowId, FlowKey, FlowLimits, FlowTable, TcpConnection, TcpFlow, socket};
pub use header::{TcpError, TcpFlags, TcpHeader};
pub use stream::{SegmentVerdict, StreamChunk, StreamReassembler};
