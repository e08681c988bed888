//! What a printed poster and a truck's pass slip show: the desk's store fills these in, the
//! poster crate draws them. Plain data, so neither depends on the other.

use crate::venue::Venue;

/// What goes on one poster.
#[derive(Debug, Clone)]
pub struct PosterInput {
    pub venue: Venue,
    pub code: String,
    /// The entrance or lane (东门, 2号通道).
    pub label: String,
    pub url: String,
    /// 监督电话
    pub supervision_phone: String,
    /// 发布日期, as printed.
    pub issued: chrono::NaiveDate,
    pub landscape: bool,
}

/// What a QR on a 货车通行单 holds: this prefix and the trip's id. A destination desk's scanner
/// types it into the arrival box like a plate.
pub const TRIP_QR_PREFIX: &str = "PCTRIP:";

/// A 货车通行单 (pass slip) the checkpoint prints for a truck it let in: the destination scans
/// its QR on arrival. The crew are masked: the slip travels in the cab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipInput {
    pub trip_id: String,
    pub checkpoint: String,
    pub plate: String,
    pub destination: String,
    /// 入口时间, Beijing time as shown.
    pub entered: String,
    pub pass_number: String,
    pub crew: Vec<SlipMember>,
}

/// One crew member on a pass slip, masked: the slip travels in the cab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipMember {
    pub name: String,
    pub document: String,
}
