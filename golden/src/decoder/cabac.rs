//! CABAC arithmetic decoding engine (H.265 9.3.4.3), bit-serial, bounds-checked:
//! reading past the end of the substream is recorded and reported as truncation.

use crate::cabac::{trans_idx_mps, Ctx, RANGE_TAB_LPS, TRANS_IDX_LPS};

pub struct CabacDecoder<'a> {
    data: &'a [u8],
    pos: usize, // bit position
    range: u32,
    offset: u32,
    /// Bits read past the end of `data` (zeros were supplied).
    pub overrun: usize,
    /// Bins decoded (decisions, bypass and terminate): the figure that bounds an
    /// engine's throughput.
    pub bins: u64,
    /// When set, every bin decoded is appended: (kind 0 decision with the context state
    /// {valMps, pStateIdx} before it, 1 bypass, 2 terminate; the bin; the state), as
    /// `area_energy::cycle::cabac_enc_requests` takes them (traced decodes only).
    pub log: Option<Vec<(u8, u8, u8)>>,
}

impl<'a> CabacDecoder<'a> {
    /// Initialize at byte `start` of `data` (9.3.2.5).
    pub fn new(data: &'a [u8], start: usize) -> Self {
        let mut d = CabacDecoder { data, pos: start * 8, range: 510, offset: 0, overrun: 0, bins: 0, log: None };
        d.offset = d.read_bits(9);
        d
    }

    /// Read `n` (1..=25) bits MSB first; past the end zeros are supplied and counted.
    #[inline]
    fn read_bits(&mut self, n: u32) -> u32 {
        let byte = self.pos >> 3;
        let v = if byte + 8 <= self.data.len() {
            u64::from_be_bytes(self.data[byte..byte + 8].try_into().unwrap())
        } else {
            let mut v = 0u64;
            for i in 0..8 {
                v = (v << 8) | self.data.get(byte + i).copied().unwrap_or(0) as u64;
            }
            let end = self.data.len() * 8;
            if self.pos + n as usize > end {
                self.overrun += self.pos + n as usize - end.max(self.pos);
            }
            v
        };
        let r = ((v << (self.pos & 7)) >> (64 - n)) as u32;
        self.pos += n as usize;
        r
    }

    #[inline]
    pub fn decision(&mut self, ctx: &mut Ctx) -> u32 {
        self.bins += 1;
        let state = (ctx.mps << 6) | ctx.state;
        let lps = RANGE_TAB_LPS[ctx.state as usize][((self.range >> 6) & 3) as usize] as u32;
        self.range -= lps;
        let bin;
        if self.offset >= self.range {
            bin = 1 - ctx.mps as u32;
            self.offset -= self.range;
            self.range = lps;
            if ctx.state == 0 {
                ctx.mps = 1 - ctx.mps;
            }
            ctx.state = TRANS_IDX_LPS[ctx.state as usize];
        } else {
            bin = ctx.mps as u32;
            ctx.state = trans_idx_mps(ctx.state);
        }
        if self.range < 256 {
            let n = self.range.leading_zeros() - 23;
            self.range <<= n;
            self.offset = (self.offset << n) | self.read_bits(n);
        }
        if let Some(l) = self.log.as_mut() {
            l.push((0, bin as u8, state));
        }
        bin
    }

    #[inline]
    pub fn bypass(&mut self) -> u32 {
        self.bins += 1;
        self.offset = (self.offset << 1) | self.read_bits(1);
        let b = if self.offset >= self.range {
            self.offset -= self.range;
            1
        } else {
            0
        };
        if let Some(l) = self.log.as_mut() {
            l.push((1, b as u8, 0));
        }
        b
    }

    /// `n` bypass bins at once (MSB first), n <= 32.
    pub fn bypass_bits(&mut self, n: u32) -> u32 {
        self.bins += n as u64;
        let mut v = 0;
        let mut left = n;
        while left > 0 {
            // the offset register holds < 2^9 * ... : take at most 16 bits per step
            let k = left.min(16);
            let bits = self.read_bits(k);
            let mut off = (self.offset << k) | bits;
            let mut r = 0u32;
            for i in (0..k).rev() {
                let sr = self.range << i;
                r <<= 1;
                if off >= sr {
                    off -= sr;
                    r |= 1;
                }
            }
            self.offset = off;
            v = (v << k) | r;
            left -= k;
        }
        if let Some(l) = self.log.as_mut() {
            l.extend((0..n).rev().map(|i| (1, ((v >> i) & 1) as u8, 0)));
        }
        v
    }

    /// Bits of the substream read so far, the 9 of the initialization included (a
    /// hardware engine's bit-buffer consumption: see `area_energy::cycle::cabac_dec_substream`).
    pub fn bit_pos(&self) -> usize {
        self.pos
    }

    /// 9.3.2.5: a stream never initializes the offset to 510 or 511. Checked by the
    /// slice decoder: the engine's 9-bit invariant offset < range holds from then on.
    pub fn init_ok(&self) -> bool {
        self.offset < 510
    }

    pub fn terminate(&mut self) -> u32 {
        self.bins += 1;
        self.range -= 2;
        let b = if self.offset >= self.range {
            1
        } else {
            if self.range < 256 {
                self.range <<= 1;
                self.offset = (self.offset << 1) | self.read_bits(1);
            }
            0
        };
        if let Some(l) = self.log.as_mut() {
            l.push((2, b as u8, 0));
        }
        b
    }

    /// After a terminating bin equal to 1: the rbsp stop bit (or alignment one bit)
    /// has been read as the last bit of the offset register except for 7 bits; check
    /// the byte alignment pattern and return the byte offset where the next substream
    /// starts.
    pub fn finish(&mut self) -> Result<usize, &'static str> {
        // The encoder's flush wrote 7 more bits after the decoder's 9-bit window start
        // point; the decoder has consumed those 9 bits, the last of which is the stop
        // one bit. Verify it and the zero alignment bits.
        let stop_pos = self.pos - 1;
        let byte = stop_pos >> 3;
        if self.overrun > 0 || byte >= self.data.len() {
            return Err("slice data truncated");
        }
        if (self.data[byte] >> (7 - (stop_pos & 7))) & 1 != 1 {
            return Err("missing stop bit after end of slice segment / subset");
        }
        let rest = 7 - (stop_pos & 7);
        if rest > 0 && self.data[byte] & ((1u8 << rest) - 1) != 0 {
            return Err("non-zero alignment bits");
        }
        Ok(byte + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cabac::{BinSink, CabacEncoder, Contexts};

    /// Random sequences of context-coded, bypass and terminate bins through the
    /// encoder engine come back from the decoder engine bin for bin, with the same
    /// context state evolution, and the substream ends exactly at its stop bit.
    #[test]
    fn encoder_decoder_engines_agree() {
        let mut seed = 5u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for trial in 0..300 {
            let qp = (trial % 52) as i32;
            let n = 1 + rnd() as usize % 3000;
            // (kind, ctx index, bin): kind 0 context, 1 bypass, 2 bypass run, 3 terminate 0
            let ops: Vec<(u32, usize, u32)> = (0..n)
                .map(|_| {
                    let k = rnd() % 10;
                    let kind = if k < 6 { 0 } else if k < 8 { 1 } else if k < 9 { 2 } else { 3 };
                    let skew = rnd() % 8; // skewed bins exercise the LPS/MPS paths
                    let bin = match kind {
                        2 => rnd() % (1 << 13),
                        3 => 0,
                        _ => (skew == 0) as u32,
                    };
                    (kind, rnd() as usize % 44, bin)
                })
                .collect();
            let mut ce = Contexts::new(qp);
            let mut e = CabacEncoder::new();
            for &(kind, ci, b) in &ops {
                match kind {
                    0 => e.bin(&mut ce.sig[ci], b),
                    1 => e.bypass(b),
                    2 => e.bypass_bits(b, 13),
                    _ => e.terminate(0),
                }
            }
            e.terminate(1);
            let bytes = e.finish();
            let mut cd = Contexts::new(qp);
            let mut d = CabacDecoder::new(&bytes, 0);
            for (i, &(kind, ci, b)) in ops.iter().enumerate() {
                let got = match kind {
                    0 => d.decision(&mut cd.sig[ci]),
                    1 => d.bypass(),
                    2 => d.bypass_bits(13),
                    _ => d.terminate(),
                };
                assert_eq!(got, b, "trial {trial} op {i} kind {kind}");
            }
            assert_eq!(d.terminate(), 1);
            assert_eq!(d.finish(), Ok(bytes.len()), "trial {trial}: substream end");
            assert_eq!(ce, cd);
        }
    }
}
