//! RBSP extraction (emulation prevention removal) and a bounds-checked bit reader.

use super::DecodeError;

/// Remove emulation prevention bytes (0x000003 -> 0x0000).
pub fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// Split an Annex-B byte stream into NAL unit payloads (start codes removed,
/// trailing zero bytes of the previous NAL dropped).
pub fn split_annexb(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut e = if k + 1 < starts.len() { starts[k + 1] - 3 } else { data.len() };
        while e > s && data[e - 1] == 0 {
            e -= 1;
        }
        out.push(&data[s..e]);
    }
    out
}

/// MSB-first reader over an RBSP.
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    pub fn bit_pos(&self) -> usize {
        self.pos
    }

    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    pub fn u(&mut self, n: u32) -> Result<u32, DecodeError> {
        debug_assert!(n <= 32);
        if n as usize > self.bits_left() {
            return Err(DecodeError::Truncated("header"));
        }
        let mut v: u64 = 0;
        for _ in 0..n {
            let b = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1;
            v = (v << 1) | b as u64;
            self.pos += 1;
        }
        Ok(v as u32)
    }

    pub fn flag(&mut self) -> Result<bool, DecodeError> {
        Ok(self.u(1)? == 1)
    }

    /// ue(v), at most 32 leading zeros.
    pub fn ue(&mut self) -> Result<u32, DecodeError> {
        let mut lz = 0;
        while !self.flag()? {
            lz += 1;
            if lz > 31 {
                return Err(DecodeError::Invalid("Exp-Golomb code longer than 32 bits".into()));
            }
        }
        if lz == 0 {
            return Ok(0);
        }
        let v = self.u(lz)? as u64 + (1u64 << lz) - 1;
        u32::try_from(v).map_err(|_| DecodeError::Invalid("Exp-Golomb value out of range".into()))
    }

    /// ue(v) with an upper bound, naming the field on error.
    pub fn ue_max(&mut self, max: u32, what: &str) -> Result<u32, DecodeError> {
        let v = self.ue()?;
        if v > max {
            return Err(DecodeError::Invalid(format!("{what} = {v} exceeds {max}")));
        }
        Ok(v)
    }

    pub fn se(&mut self) -> Result<i32, DecodeError> {
        let k = self.ue()? as i64;
        Ok(if k & 1 == 1 { ((k + 1) / 2) as i32 } else { (-(k / 2)) as i32 })
    }

    pub fn se_range(&mut self, lo: i32, hi: i32, what: &str) -> Result<i32, DecodeError> {
        let v = self.se()?;
        if v < lo || v > hi {
            return Err(DecodeError::Invalid(format!("{what} = {v} outside {lo}..={hi}")));
        }
        Ok(v)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        if n > self.bits_left() {
            return Err(DecodeError::Truncated("header"));
        }
        self.pos += n;
        Ok(())
    }

    /// Byte alignment: returns the byte offset of the next byte boundary.
    pub fn byte_align(&mut self) -> usize {
        self.pos = self.pos.div_ceil(8) * 8;
        self.pos / 8
    }

    /// More RBSP data before the trailing bits?
    pub fn more_rbsp_data(&self) -> bool {
        // find last 1 bit in the data
        let Some(last_byte) = self.data.iter().rposition(|&b| b != 0) else { return false };
        let tz = self.data[last_byte].trailing_zeros() as usize;
        let stop = last_byte * 8 + 7 - tz;
        self.pos < stop
    }
}
