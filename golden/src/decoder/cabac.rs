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
}

impl<'a> CabacDecoder<'a> {
    /// Initialize at byte `start` of `data` (9.3.2.5).
    pub fn new(data: &'a [u8], start: usize) -> Self {
        let mut d = CabacDecoder { data, pos: start * 8, range: 510, offset: 0, overrun: 0 };
        d.offset = d.read_bits(9);
        d
    }

    #[inline]
    fn read_bit(&mut self) -> u32 {
        let byte = self.pos >> 3;
        let b = if byte < self.data.len() {
            (self.data[byte] >> (7 - (self.pos & 7))) as u32 & 1
        } else {
            self.overrun += 1;
            0
        };
        self.pos += 1;
        b
    }

    fn read_bits(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.read_bit();
        }
        v
    }

    #[inline]
    pub fn decision(&mut self, ctx: &mut Ctx) -> u32 {
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
        while self.range < 256 {
            self.range <<= 1;
            self.offset = (self.offset << 1) | self.read_bit();
        }
        bin
    }

    #[inline]
    pub fn bypass(&mut self) -> u32 {
        self.offset = (self.offset << 1) | self.read_bit();
        if self.offset >= self.range {
            self.offset -= self.range;
            1
        } else {
            0
        }
    }

    pub fn bypass_bits(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bypass();
        }
        v
    }

    pub fn terminate(&mut self) -> u32 {
        self.range -= 2;
        if self.offset >= self.range {
            1
        } else {
            while self.range < 256 {
                self.range <<= 1;
                self.offset = (self.offset << 1) | self.read_bit();
            }
            0
        }
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
