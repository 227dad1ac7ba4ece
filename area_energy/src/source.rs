//! Where a number comes from (Accelergy's discipline): every per-action energy or
//! area entry names its source, the node it was measured or published at, and the
//! rule used to carry it to another node.

use serde::Serialize;

/// The provenance of one table entry.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Source {
    /// Publication, library or measurement the number comes from.
    pub reference: &'static str,
    /// Technology node the number was published or measured at (nm; 0 = node-free).
    pub node_nm: f64,
    /// How the number is carried to another node (or "none" when it is node-free).
    pub scaling: &'static str,
}

/// A number with its source.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Sourced {
    pub value: f64,
    pub unit: &'static str,
    pub source: Source,
}

impl Sourced {
    pub const fn new(
        value: f64,
        unit: &'static str,
        reference: &'static str,
        node_nm: f64,
        scaling: &'static str,
    ) -> Self {
        Sourced {
            value,
            unit,
            source: Source {
                reference,
                node_nm,
                scaling,
            },
        }
    }
}
