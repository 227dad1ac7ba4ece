//! Bit writer, NAL framing with emulation prevention, and the parameter sets
//! (VPS/SPS/PPS) and slice segment header of the streams golden/ emits
//! (H.265 clauses 7.3.1-7.3.6, Annex B).

use crate::config::{BitstreamParams, ChromaFormat};

/// MSB-first bit writer for RBSP syntax (u(n), ue(v), se(v)).
#[derive(Default, Clone, Debug)]
pub struct BitWriter {
    bytes: Vec<u8>,
    cur: u64,
    nbits: u32,
}

impl BitWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// u(n): `n` (<= 32) low bits of `v`, MSB first.
    pub fn put(&mut self, v: u32, n: u32) {
        debug_assert!(n <= 32);
        if n == 0 {
            return;
        }
        debug_assert!(n == 32 || v >> n == 0, "value {v} does not fit in {n} bits");
        self.cur = (self.cur << n) | (v as u64 & ((1u64 << n) - 1));
        self.nbits += n;
        while self.nbits >= 8 {
            self.nbits -= 8;
            self.bytes.push((self.cur >> self.nbits) as u8);
        }
        self.cur &= (1u64 << self.nbits) - 1;
    }

    pub fn flag(&mut self, b: bool) {
        self.put(b as u32, 1);
    }

    /// ue(v): unsigned Exp-Golomb.
    pub fn ue(&mut self, v: u32) {
        let v1 = v as u64 + 1;
        let len = 64 - v1.leading_zeros(); // bits of v+1
        self.put(0, len - 1);
        // write v+1 in `len` bits (may exceed 32 for huge v; split)
        if len > 32 {
            self.put((v1 >> 32) as u32, len - 32);
            self.put(v1 as u32, 32);
        } else {
            self.put(v1 as u32, len);
        }
    }

    /// se(v): signed Exp-Golomb.
    pub fn se(&mut self, v: i32) {
        let k = if v > 0 { (2 * v as i64 - 1) as u32 } else { (-2 * v as i64) as u32 };
        self.ue(k);
    }

    pub fn is_byte_aligned(&self) -> bool {
        self.nbits == 0
    }

    pub fn bit_len(&self) -> usize {
        self.bytes.len() * 8 + self.nbits as usize
    }

    /// rbsp_trailing_bits / byte_alignment(): a one bit, then zeros to the byte boundary.
    pub fn trailing_bits(&mut self) {
        self.put(1, 1);
        self.align_zero();
    }

    /// Zero bits up to the next byte boundary.
    pub fn align_zero(&mut self) {
        if self.nbits > 0 {
            let n = 8 - self.nbits;
            self.put(0, n);
        }
    }

    /// Append whole bytes (the writer must be byte aligned).
    pub fn put_bytes(&mut self, b: &[u8]) {
        assert!(self.is_byte_aligned());
        self.bytes.extend_from_slice(b);
    }

    /// The bytes written (must be byte aligned).
    pub fn into_bytes(self) -> Vec<u8> {
        assert!(self.nbits == 0, "BitWriter not byte aligned");
        self.bytes
    }
}

/// NAL unit types used here.
pub mod nal_type {
    pub const IDR_W_RADL: u8 = 19;
    pub const VPS: u8 = 32;
    pub const SPS: u8 = 33;
    pub const PPS: u8 = 34;
}

/// Emulation prevention (7.4.2): insert 0x03 after two zero bytes when the next byte
/// is <= 3. Returns the escaped bytes and, for each input offset in `marks`, the
/// corresponding output offset.
pub fn escape_rbsp(rbsp: &[u8], marks: &[usize]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 4);
    let mut zeros = 0u32;
    let mut mapped = vec![0usize; marks.len()];
    let mut mi = 0;
    for (i, &b) in rbsp.iter().enumerate() {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        while mi < marks.len() && marks[mi] == i {
            mapped[mi] = out.len();
            mi += 1;
        }
        out.push(b);
        if b == 0 {
            zeros += 1;
        } else {
            zeros = 0;
        }
    }
    while mi < marks.len() {
        mapped[mi] = out.len();
        mi += 1;
    }
    // A NAL unit's last byte must not be zero (cabac_zero_words aside).
    if out.last() == Some(&0) {
        out.push(3);
    }
    (out, mapped)
}

/// Append one Annex-B NAL unit (4-byte start code, 2-byte header, escaped payload).
pub fn push_nal(stream: &mut Vec<u8>, nal_type: u8, rbsp: &[u8]) {
    stream.extend_from_slice(&[0, 0, 0, 1, nal_type << 1, 1]);
    let (esc, _) = escape_rbsp(rbsp, &[]);
    stream.extend_from_slice(&esc);
}

/// general_level_idc for a picture size (Table A.8: MaxLumaPs and max side).
pub fn level_idc(width: u32, height: u32) -> u8 {
    let ps = width as u64 * height as u64;
    let side = width.max(height) as u64;
    // (level_idc, MaxLumaPs)
    const LEVELS: [(u8, u64); 8] = [
        (30, 36_864),
        (60, 122_880),
        (63, 245_760),
        (90, 552_960),
        (93, 983_040),
        (120, 2_228_224),
        (150, 8_912_896),
        (180, 35_651_584),
    ];
    for &(idc, max_ps) in &LEVELS {
        let max_side = ((max_ps * 8) as f64).sqrt() as u64;
        if ps <= max_ps && side <= max_side {
            return idc;
        }
    }
    // Larger than level 6.2 allows (e.g. 8192x8192): signal 6.2, which decoders
    // that support such sizes (ffmpeg, libde265, NVDEC) accept.
    186
}

fn profile_tier_level(w: &mut BitWriter, chroma: ChromaFormat, level: u8) {
    w.put(0, 2); // general_profile_space
    w.flag(false); // general_tier_flag
    match chroma {
        ChromaFormat::Yuv420 => {
            w.put(1, 5); // Main
            // compatibility: Main and Main 10
            w.put(0b0110_0000_0000_0000_0000_0000_0000_0000, 32);
            w.flag(true); // progressive_source
            w.flag(false); // interlaced
            w.flag(false); // non_packed_constraint
            w.flag(true); // frame_only_constraint
            w.put(0, 32); // 43 reserved zero bits + 1 (inbld/reserved)
            w.put(0, 12);
        }
        ChromaFormat::Yuv400 => {
            w.put(4, 5); // format range extensions (Monochrome)
            w.put(1 << (31 - 4), 32);
            w.flag(true);
            w.flag(false);
            w.flag(false);
            w.flag(true);
            // max_12bit, max_10bit, max_8bit, max_422chroma, max_420chroma,
            // max_monochrome, intra, one_picture_only, lower_bit_rate
            for b in [1, 1, 1, 1, 1, 1, 0, 0, 1] {
                w.put(b, 1);
            }
            w.put(0, 32); // 34 reserved + 1 inbld
            w.put(0, 3);
        }
    }
    w.put(level as u32, 8);
}

/// Video parameter set RBSP.
pub fn vps(b: &BitstreamParams, width: u32, height: u32) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.put(0, 4); // vps_video_parameter_set_id
    w.put(3, 2); // base_layer_internal + available
    w.put(0, 6); // max_layers_minus1
    w.put(0, 3); // max_sub_layers_minus1
    w.flag(true); // temporal_id_nesting
    w.put(0xffff, 16);
    profile_tier_level(&mut w, b.chroma, level_idc(width, height));
    w.flag(true); // sub_layer_ordering_info_present
    w.ue(0); // max_dec_pic_buffering_minus1
    w.ue(0); // max_num_reorder_pics
    w.ue(0); // max_latency_increase_plus1
    w.put(0, 6); // vps_max_layer_id
    w.ue(0); // vps_num_layer_sets_minus1
    w.flag(false); // timing_info_present
    w.flag(false); // extension
    w.trailing_bits();
    w.into_bytes()
}

/// log2 of a power of two.
pub fn log2(v: u32) -> u32 {
    debug_assert!(v.is_power_of_two());
    v.trailing_zeros()
}

/// Sequence parameter set RBSP.
pub fn sps(b: &BitstreamParams, width: u32, height: u32) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.put(0, 4); // sps_video_parameter_set_id
    w.put(0, 3); // max_sub_layers_minus1
    w.flag(true); // temporal_id_nesting
    profile_tier_level(&mut w, b.chroma, level_idc(width, height));
    w.ue(0); // sps_seq_parameter_set_id
    w.ue(match b.chroma {
        ChromaFormat::Yuv420 => 1,
        ChromaFormat::Yuv400 => 0,
    });
    w.ue(width);
    w.ue(height);
    w.flag(false); // conformance_window
    w.ue(0); // bit_depth_luma_minus8
    w.ue(0); // bit_depth_chroma_minus8
    w.ue(4); // log2_max_pic_order_cnt_lsb_minus4
    w.flag(true); // sub_layer_ordering_info_present
    w.ue(0);
    w.ue(0);
    w.ue(0);
    w.ue(log2(b.min_cu_size) - 3);
    w.ue(log2(b.ctu_size) - log2(b.min_cu_size));
    w.ue(0); // log2_min_luma_transform_block_size_minus2 (4x4)
    w.ue(log2(b.max_tu_size) - 2);
    w.ue(0); // max_transform_hierarchy_depth_inter
    w.ue(b.max_tu_depth_intra);
    w.flag(false); // scaling_list_enabled
    w.flag(false); // amp
    w.flag(false); // sample_adaptive_offset
    w.flag(false); // pcm
    w.ue(0); // num_short_term_ref_pic_sets
    w.flag(false); // long_term_ref_pics_present
    w.flag(false); // sps_temporal_mvp_enabled
    w.flag(b.strong_intra_smoothing);
    w.flag(false); // vui_parameters_present
    w.flag(false); // sps_extension_present
    w.trailing_bits();
    w.into_bytes()
}

/// Picture parameter set RBSP (init_qp 26; deblocking and SAO off).
/// `transquant_bypass`: transquant_bypass_enabled_flag (lossless CUs present).
pub fn pps(b: &BitstreamParams, transquant_bypass: bool) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.ue(0); // pps_pic_parameter_set_id
    w.ue(0); // pps_seq_parameter_set_id
    w.flag(false); // dependent_slice_segments_enabled
    w.flag(false); // output_flag_present
    w.put(0, 3); // num_extra_slice_header_bits
    w.flag(b.sign_data_hiding);
    w.flag(false); // cabac_init_present
    w.ue(0);
    w.ue(0);
    w.se(0); // init_qp_minus26
    w.flag(false); // constrained_intra_pred
    w.flag(b.transform_skip); // transform_skip_enabled
    w.flag(false); // cu_qp_delta_enabled
    w.se(0); // cb_qp_offset
    w.se(0); // cr_qp_offset
    w.flag(false); // slice_chroma_qp_offsets_present
    w.flag(false); // weighted_pred
    w.flag(false); // weighted_bipred
    w.flag(transquant_bypass); // transquant_bypass_enabled
    w.flag(false); // tiles_enabled
    w.flag(b.wpp); // entropy_coding_sync_enabled
    w.flag(false); // loop_filter_across_slices
    w.flag(true); // deblocking_filter_control_present
    w.flag(false); // deblocking_filter_override_enabled
    w.flag(true); // pps_deblocking_filter_disabled
    w.flag(false); // pps_scaling_list_data_present
    w.flag(false); // lists_modification_present
    w.ue(0); // log2_parallel_merge_level_minus2
    w.flag(false); // slice_segment_header_extension_present
    w.flag(false); // pps_extension_present
    w.trailing_bits();
    w.into_bytes()
}

/// Slice segment header of an IDR I slice, byte aligned, with WPP entry points.
pub fn slice_header(
    b: &BitstreamParams,
    pic_size_in_ctbs: u32,
    slice_addr: u32,
    qp: u8,
    entry_point_offsets: &[u32],
) -> Vec<u8> {
    let mut w = BitWriter::new();
    let first = slice_addr == 0;
    w.flag(first);
    w.flag(false); // no_output_of_prior_pics_flag (IRAP)
    w.ue(0); // slice_pic_parameter_set_id
    if !first {
        let bits = 32 - (pic_size_in_ctbs - 1).leading_zeros(); // Ceil(Log2(PicSizeInCtbsY))
        w.put(slice_addr, bits);
    }
    w.ue(2); // slice_type I
    w.se(qp as i32 - 26); // slice_qp_delta
    if b.wpp {
        w.ue(entry_point_offsets.len() as u32);
        if !entry_point_offsets.is_empty() {
            let maxv = entry_point_offsets.iter().map(|&o| o - 1).max().unwrap();
            let len = (32 - maxv.leading_zeros()).max(1);
            w.ue(len - 1);
            for &o in entry_point_offsets {
                w.put(o - 1, len);
            }
        }
    }
    w.trailing_bits(); // byte_alignment()
    w.into_bytes()
}

/// Assemble one slice segment NAL (header + substreams), computing the entry point
/// offsets on the escaped bytes as 7.4.7.1 requires (iterates to a fixed point since
/// the header length depends on the offsets).
pub fn slice_nal(
    stream: &mut Vec<u8>,
    b: &BitstreamParams,
    pic_size_in_ctbs: u32,
    slice_addr: u32,
    qp: u8,
    substreams: &[Vec<u8>],
) {
    let mut offsets: Vec<u32> =
        substreams[..substreams.len() - 1].iter().map(|s| s.len() as u32).collect();
    loop {
        let hdr = slice_header(b, pic_size_in_ctbs, slice_addr, qp, if b.wpp { &offsets } else { &[] });
        let mut rbsp = hdr.clone();
        let mut marks = vec![hdr.len()];
        for s in substreams {
            rbsp.extend_from_slice(s);
            marks.push(rbsp.len());
        }
        // escape with the 2-byte NAL header in front (it never contains zeros)
        let mut full = vec![nal_type::IDR_W_RADL << 1, 1];
        full.extend_from_slice(&rbsp);
        let marks2: Vec<usize> = marks.iter().map(|m| m + 2).collect();
        let (esc, mapped) = escape_rbsp(&full, &marks2);
        let new_offsets: Vec<u32> =
            (0..substreams.len() - 1).map(|i| (mapped[i + 1] - mapped[i]) as u32).collect();
        if !b.wpp || new_offsets == offsets {
            stream.extend_from_slice(&[0, 0, 0, 1]);
            stream.extend_from_slice(&esc);
            return;
        }
        offsets = new_offsets;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_known_answers() {
        let mut w = BitWriter::new();
        for v in [0u32, 1, 2, 3, 7] {
            w.ue(v);
        }
        // 1 010 011 00100 0001000 -> 1010 0110 0100 0001 000 + pad
        w.align_zero();
        assert_eq!(w.into_bytes(), vec![0b1010_0110, 0b0100_0001, 0b0000_0000]);
        let mut w = BitWriter::new();
        for v in [0i32, 1, -1, 2] {
            w.se(v);
        }
        // 1 010 011 00100
        w.align_zero();
        assert_eq!(w.into_bytes(), vec![0b1010_0110, 0b0100_0000]);
    }

    #[test]
    fn emulation_prevention() {
        let (e, m) = escape_rbsp(&[0, 0, 1, 0, 0, 0, 0, 0, 3, 5], &[2, 9]);
        assert_eq!(e, vec![0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 0, 3, 5]);
        assert_eq!(m, vec![3, 12]);
        let (e, _) = escape_rbsp(&[5, 0], &[]);
        assert_eq!(e, vec![5, 0, 3]);
    }
}
