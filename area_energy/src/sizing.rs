//! Sizing: how many instances of a core (at the configured clock) a target bandwidth
//! needs, and what they cost in area and power.
//!
//! A target is a bandwidth of the compressed stream (a NIC, an HBM stack, a whole GPU's
//! memory system) at a chosen bits/value, or directly a rate of int8 values; values per
//! second = bandwidth / bits per value. Instances = ceil(values/s / (values/cycle x
//! clock)); area and leakage scale with instances, switching energy with values.

use crate::source::Sourced;
use serde::Serialize;

/// A bandwidth to size for.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: &'static str,
    /// Bits per second of compressed stream; None = `values_per_s` is given directly.
    pub bits_per_s: Option<Sourced>,
    /// Int8 values per second when given directly.
    pub values_per_s: Option<f64>,
}

impl Target {
    /// Values per second at `bits_per_value`.
    pub fn values_per_s(&self, bits_per_value: f64) -> f64 {
        match (&self.values_per_s, &self.bits_per_s) {
            (Some(v), _) => *v,
            (None, Some(b)) => b.value / bits_per_value,
            (None, None) => 0.0,
        }
    }
}

/// The default targets: 100 Gbit/s of int8 output (the design point of the issue
/// targets), a 100 Gbit/s NIC, one HBM3 stack and a whole H100's memory system
/// carrying compressed tensors.
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "100 Gbit/s int8 output",
            bits_per_s: None,
            values_per_s: Some(100e9 / 8.0),
        },
        Target {
            name: "100 Gbit/s NIC",
            bits_per_s: Some(Sourced::new(
                100e9,
                "bit/s",
                "100GbE line rate (IEEE 802.3ba)",
                0.0,
                "none",
            )),
            values_per_s: None,
        },
        Target {
            name: "one HBM3 stack",
            bits_per_s: Some(Sourced::new(
                6.4e9 * 1024.0,
                "bit/s",
                "JEDEC HBM3 (JESD238): 1024-bit interface at 6.4 Gbit/s per pin = 819 GB/s",
                0.0,
                "none",
            )),
            values_per_s: None,
        },
        Target {
            name: "H100 SXM memory (3.35 TB/s)",
            bits_per_s: Some(Sourced::new(
                3.35e12 * 8.0,
                "bit/s",
                "NVIDIA H100 SXM5 datasheet: 3.35 TB/s HBM3",
                0.0,
                "none",
            )),
            values_per_s: None,
        },
    ]
}

/// One core sized for one target.
#[derive(Clone, Debug, Serialize)]
pub struct Sizing {
    pub target: String,
    pub values_per_s: f64,
    pub instances: u64,
    pub clock_mhz: f64,
    /// Die area (cell area / utilization), mm2.
    pub area_mm2: f64,
    pub power_w: f64,
    pub pj_per_value: f64,
}

/// Size a core: `values_per_cycle` per instance, cell area `cell_um2` per instance,
/// `pj_per_value` (switching, clock and leakage at full rate).
pub fn size(
    target: &Target,
    bits_per_value: f64,
    values_per_cycle: f64,
    clock_mhz: f64,
    cell_um2: f64,
    utilization: f64,
    pj_per_value: f64,
) -> Sizing {
    let v = target.values_per_s(bits_per_value);
    let per = values_per_cycle * clock_mhz * 1e6;
    let instances = if per > 0.0 {
        (v / per).ceil().max(1.0) as u64
    } else {
        0
    };
    Sizing {
        target: target.name.into(),
        values_per_s: v,
        instances,
        clock_mhz,
        area_mm2: instances as f64 * cell_um2 / utilization / 1e6,
        power_w: v * pj_per_value * 1e-12,
        pj_per_value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_round_up() {
        let t = &targets()[0];
        // 12.5 G values/s at 3.9 values/cycle x 1 GHz: 4 instances
        let s = size(t, 3.0, 3.9, 1000.0, 100_000.0, 0.7, 2.0);
        assert_eq!(s.instances, 4);
        assert!((s.area_mm2 - 4.0 * 0.1 / 0.7).abs() < 1e-12);
        assert!((s.power_w - 12.5e9 * 2e-12).abs() < 1e-9);
        let nic = &targets()[1];
        assert!((nic.values_per_s(2.5) - 40e9).abs() < 1.0);
    }
}
