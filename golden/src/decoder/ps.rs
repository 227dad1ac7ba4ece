//! Parameter sets (7.3.2.2-7.3.2.3) and the slice segment header (7.3.6), parsed with
//! every field range-checked; tools outside the supported subset are reported as
//! `Unsupported` naming the tool.

use super::bits::BitReader;
use super::DecodeError;

fn unsupported(t: &str) -> DecodeError {
    DecodeError::Unsupported(t.to_string())
}

fn profile_tier_level(r: &mut BitReader, max_sub_layers_minus1: u32) -> Result<(), DecodeError> {
    // general: 2+1+5+32+4+43+1 = 88 bits, then level 8 bits
    r.skip(88)?;
    r.skip(8)?;
    let mut present = [(false, false); 8];
    for p in present.iter_mut().take(max_sub_layers_minus1 as usize) {
        *p = (r.flag()?, r.flag()?);
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.skip(2)?;
        }
    }
    for p in present.iter().take(max_sub_layers_minus1 as usize) {
        if p.0 {
            r.skip(88)?;
        }
        if p.1 {
            r.skip(8)?;
        }
    }
    Ok(())
}

/// Sequence parameter set fields the decoder uses.
#[derive(Clone, Debug)]
pub struct Sps {
    pub id: u32,
    pub chroma_format_idc: u32,
    pub width: usize,
    pub height: usize,
    /// Conformance window offsets in luma samples: left, right, top, bottom.
    pub conf_win: [usize; 4],
    pub log2_min_cb: u32,
    pub log2_ctb: u32,
    pub log2_min_tb: u32,
    pub log2_max_tb: u32,
    pub max_tu_depth_intra: u32,
    pub strong_intra_smoothing: bool,
    pub sao_enabled: bool,
    pub pcm_enabled: bool,
    pub log2_max_poc_lsb: u32,
    pub num_short_term_rps: u32,
    /// num_delta_pocs of each SPS short-term RPS (for inter RPS prediction parsing).
    pub st_rps_num_delta: Vec<u32>,
    pub long_term_refs: bool,
    pub num_long_term_sps: u32,
    pub temporal_mvp: bool,
}

fn st_ref_pic_set(r: &mut BitReader, idx: u32, num: u32, prev: &[u32]) -> Result<u32, DecodeError> {
    let mut inter = false;
    if idx != 0 {
        inter = r.flag()?;
    }
    if inter {
        let delta_idx_minus1 = if idx == num { r.ue_max(idx - 1, "delta_idx_minus1")? } else { 0 };
        let ref_idx = idx - (delta_idx_minus1 + 1);
        r.ue_max(1 << 15, "abs_delta_rps_minus1")?;
        let _sign = r.flag()?;
        let nref = prev.get(ref_idx as usize).copied().ok_or_else(|| DecodeError::Invalid("RPS reference".into()))?;
        let mut count = 0;
        for _ in 0..=nref {
            let used = r.flag()?;
            let use_delta = if !used { r.flag()? } else { true };
            if used || use_delta {
                count += 1;
            }
        }
        Ok(count)
    } else {
        let neg = r.ue_max(16, "num_negative_pics")?;
        let pos = r.ue_max(16, "num_positive_pics")?;
        for _ in 0..neg + pos {
            r.ue_max(1 << 15, "delta_poc_minus1")?;
            r.flag()?;
        }
        Ok(neg + pos)
    }
}

fn hrd_parameters(r: &mut BitReader, common: bool, max_sub_layers_minus1: u32) -> Result<(), DecodeError> {
    let mut nal = false;
    let mut vcl = false;
    let mut sub_pic = false;
    if common {
        nal = r.flag()?;
        vcl = r.flag()?;
        if nal || vcl {
            sub_pic = r.flag()?;
            if sub_pic {
                r.skip(8 + 5 + 1 + 5)?;
            }
            r.skip(4 + 4)?;
            if sub_pic {
                r.skip(4)?;
            }
            r.skip(5 + 5 + 5)?;
        }
    }
    for _ in 0..=max_sub_layers_minus1 {
        let fixed_general = r.flag()?;
        let fixed_within = if !fixed_general { r.flag()? } else { true };
        let mut low_delay = false;
        if fixed_within {
            r.ue_max(2047, "elemental_duration_in_tc_minus1")?;
        } else {
            low_delay = r.flag()?;
        }
        let cpb_cnt = if !low_delay { r.ue_max(31, "cpb_cnt_minus1")? + 1 } else { 1 };
        for present in [nal, vcl] {
            if present {
                for _ in 0..cpb_cnt {
                    r.ue()?;
                    r.ue()?;
                    if sub_pic {
                        r.ue()?;
                        r.ue()?;
                    }
                    r.flag()?;
                }
            }
        }
    }
    Ok(())
}

fn vui(r: &mut BitReader, max_sub_layers_minus1: u32) -> Result<(), DecodeError> {
    if r.flag()? {
        // aspect_ratio_info_present
        if r.u(8)? == 255 {
            r.skip(32)?;
        }
    }
    if r.flag()? {
        r.flag()?; // overscan_appropriate
    }
    if r.flag()? {
        // video_signal_type_present
        r.skip(3 + 1)?;
        if r.flag()? {
            r.skip(24)?;
        }
    }
    if r.flag()? {
        r.ue()?;
        r.ue()?;
    }
    r.skip(3)?; // neutral_chroma, field_seq, frame_field_info
    if r.flag()? {
        // default_display_window
        for _ in 0..4 {
            r.ue()?;
        }
    }
    if r.flag()? {
        // timing
        r.skip(64)?;
        if r.flag()? {
            r.ue()?;
        }
        if r.flag()? {
            hrd_parameters(r, true, max_sub_layers_minus1)?;
        }
    }
    if r.flag()? {
        // bitstream_restriction
        r.skip(3)?;
        for _ in 0..5 {
            r.ue()?;
        }
    }
    Ok(())
}

pub fn parse_sps(r: &mut BitReader) -> Result<Sps, DecodeError> {
    r.skip(4)?; // vps id
    let max_sub_layers_minus1 = r.u(3)?;
    if max_sub_layers_minus1 > 6 {
        return Err(DecodeError::Invalid("sps_max_sub_layers_minus1 > 6".into()));
    }
    r.skip(1)?;
    profile_tier_level(r, max_sub_layers_minus1)?;
    let id = r.ue_max(15, "sps_seq_parameter_set_id")?;
    let chroma_format_idc = r.ue_max(3, "chroma_format_idc")?;
    if chroma_format_idc == 3 && r.flag()? {
        return Err(unsupported("separate colour planes"));
    }
    if chroma_format_idc == 2 || chroma_format_idc == 3 {
        return Err(unsupported(if chroma_format_idc == 2 { "4:2:2 chroma" } else { "4:4:4 chroma" }));
    }
    let width = r.ue_max(8192, "pic_width_in_luma_samples")? as usize;
    let height = r.ue_max(8192, "pic_height_in_luma_samples")? as usize;
    if width == 0 || height == 0 {
        return Err(DecodeError::Invalid("zero picture size".into()));
    }
    let mut conf_win = [0usize; 4];
    if r.flag()? {
        // conformance window (left, right, top, bottom), in chroma sample units
        let unit = if chroma_format_idc == 1 { 2 } else { 1 };
        for c in conf_win.iter_mut() {
            *c = r.ue_max(8192, "conf_win_offset")? as usize * unit;
        }
        if conf_win[0] + conf_win[1] >= width || conf_win[2] + conf_win[3] >= height {
            return Err(DecodeError::Invalid("conformance window larger than the picture".into()));
        }
    }
    let bd_luma = r.ue_max(8, "bit_depth_luma_minus8")?;
    let bd_chroma = r.ue_max(8, "bit_depth_chroma_minus8")?;
    if bd_luma != 0 || bd_chroma != 0 {
        return Err(unsupported("bit depth above 8"));
    }
    let log2_max_poc_lsb = r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")? + 4;
    let ordering = r.flag()?;
    let start = if ordering { 0 } else { max_sub_layers_minus1 };
    for _ in start..=max_sub_layers_minus1 {
        r.ue_max(16, "max_dec_pic_buffering")?;
        r.ue_max(16, "max_num_reorder")?;
        r.ue()?;
    }
    let log2_min_cb = r.ue_max(3, "log2_min_luma_coding_block_size_minus3")? + 3;
    let log2_ctb = log2_min_cb + r.ue_max(3, "log2_diff_max_min_luma_coding_block_size")?;
    let log2_min_tb = r.ue_max(3, "log2_min_luma_transform_block_size_minus2")? + 2;
    let log2_max_tb = log2_min_tb + r.ue_max(3, "log2_diff_max_min_luma_transform_block_size")?;
    if !(4..=6).contains(&log2_ctb) || log2_max_tb > 5 || log2_max_tb > log2_ctb || log2_min_tb >= log2_min_cb {
        return Err(DecodeError::Invalid(format!("block sizes: CTB 2^{log2_ctb}, CB 2^{log2_min_cb}, TB 2^{log2_min_tb}..2^{log2_max_tb}")));
    }
    if width % (1 << log2_min_cb) != 0 || height % (1 << log2_min_cb) != 0 {
        return Err(DecodeError::Invalid("picture size not a multiple of the minimum CB size".into()));
    }
    r.ue_max(4, "max_transform_hierarchy_depth_inter")?;
    let max_tu_depth_intra = r.ue_max(4, "max_transform_hierarchy_depth_intra")?;
    if r.flag()? {
        return Err(unsupported("scaling lists"));
    }
    let _amp = r.flag()?;
    let sao_enabled = r.flag()?;
    let pcm_enabled = r.flag()?;
    if pcm_enabled {
        r.skip(8)?;
        r.ue()?;
        r.ue()?;
        r.flag()?;
    }
    let num_short_term_rps = r.ue_max(64, "num_short_term_ref_pic_sets")?;
    let mut st_rps_num_delta = Vec::new();
    for i in 0..num_short_term_rps {
        let n = st_ref_pic_set(r, i, num_short_term_rps, &st_rps_num_delta)?;
        st_rps_num_delta.push(n);
    }
    let long_term_refs = r.flag()?;
    let mut num_long_term_sps = 0;
    if long_term_refs {
        num_long_term_sps = r.ue_max(32, "num_long_term_ref_pics_sps")?;
        for _ in 0..num_long_term_sps {
            r.skip(log2_max_poc_lsb as usize + 1)?;
        }
    }
    let temporal_mvp = r.flag()?;
    let strong_intra_smoothing = r.flag()?;
    if r.flag()? {
        vui(r, max_sub_layers_minus1)?;
    }
    if r.flag()? {
        // sps_extension_present
        let range = r.flag()?;
        let multilayer = r.flag()?;
        let ext3d = r.flag()?;
        let scc = r.flag()?;
        let ext4 = r.u(4)?;
        if range {
            let f = r.u(9)?;
            if f != 0 {
                return Err(unsupported("range extension coding tools"));
            }
        }
        if multilayer || ext3d || scc || ext4 != 0 {
            return Err(unsupported("SPS extensions (multilayer/3D/SCC)"));
        }
    }
    Ok(Sps {
        id,
        chroma_format_idc,
        width,
        height,
        conf_win,
        log2_min_cb,
        log2_ctb,
        log2_min_tb,
        log2_max_tb,
        max_tu_depth_intra,
        strong_intra_smoothing,
        sao_enabled,
        pcm_enabled,
        log2_max_poc_lsb,
        num_short_term_rps,
        st_rps_num_delta,
        long_term_refs,
        num_long_term_sps,
        temporal_mvp,
    })
}

/// Picture parameter set fields the decoder uses.
#[derive(Clone, Debug)]
pub struct Pps {
    pub id: u32,
    pub sps_id: u32,
    pub dependent_slices: bool,
    pub output_flag_present: bool,
    pub num_extra_slice_header_bits: u32,
    pub sign_data_hiding: bool,
    pub cabac_init_present: bool,
    pub init_qp: i32,
    pub transform_skip: bool,
    pub cu_qp_delta: bool,
    pub diff_cu_qp_delta_depth: u32,
    pub cb_qp_offset: i32,
    pub cr_qp_offset: i32,
    pub slice_chroma_qp_offsets: bool,
    pub transquant_bypass: bool,
    pub wpp: bool,
    pub loop_filter_across_slices: bool,
    pub deblocking_override: bool,
    pub deblocking_disabled: bool,
    pub lists_modification: bool,
    pub slice_header_extension: bool,
}

pub fn parse_pps(r: &mut BitReader) -> Result<Pps, DecodeError> {
    let id = r.ue_max(63, "pps_pic_parameter_set_id")?;
    let sps_id = r.ue_max(15, "pps_seq_parameter_set_id")?;
    let dependent_slices = r.flag()?;
    let output_flag_present = r.flag()?;
    let num_extra_slice_header_bits = r.u(3)?;
    let sign_data_hiding = r.flag()?;
    let cabac_init_present = r.flag()?;
    r.ue_max(14, "num_ref_idx_l0_default_active_minus1")?;
    r.ue_max(14, "num_ref_idx_l1_default_active_minus1")?;
    let init_qp = 26 + r.se_range(-26, 25, "init_qp_minus26")?;
    let _constrained_intra = r.flag()?;
    let transform_skip = r.flag()?;
    let cu_qp_delta = r.flag()?;
    let diff_cu_qp_delta_depth = if cu_qp_delta { r.ue_max(3, "diff_cu_qp_delta_depth")? } else { 0 };
    let cb_qp_offset = r.se_range(-12, 12, "pps_cb_qp_offset")?;
    let cr_qp_offset = r.se_range(-12, 12, "pps_cr_qp_offset")?;
    let slice_chroma_qp_offsets = r.flag()?;
    let _weighted_pred = r.flag()?;
    let _weighted_bipred = r.flag()?;
    let transquant_bypass = r.flag()?;
    let tiles = r.flag()?;
    let wpp = r.flag()?;
    if tiles {
        return Err(unsupported("tiles"));
    }
    let loop_filter_across_slices = r.flag()?;
    let mut deblocking_override = false;
    let mut deblocking_disabled = false;
    if r.flag()? {
        deblocking_override = r.flag()?;
        deblocking_disabled = r.flag()?;
        if !deblocking_disabled {
            r.se_range(-6, 6, "pps_beta_offset_div2")?;
            r.se_range(-6, 6, "pps_tc_offset_div2")?;
        }
    }
    if r.flag()? {
        return Err(unsupported("scaling lists"));
    }
    let lists_modification = r.flag()?;
    r.ue_max(4, "log2_parallel_merge_level_minus2")?;
    let slice_header_extension = r.flag()?;
    if r.flag()? {
        let range = r.flag()?;
        let rest = r.u(7)?;
        if range {
            // transform_skip_rotation, context, cross_component, chroma_qp_offset_list...
            let log2_max_ts = if transform_skip { r.ue()? } else { 0 };
            let cross_component = r.flag()?;
            let chroma_qp_offset_list = r.flag()?;
            if log2_max_ts != 0 || cross_component || chroma_qp_offset_list {
                return Err(unsupported("range extension coding tools"));
            }
            r.ue()?;
            r.ue()?;
        }
        if rest != 0 {
            return Err(unsupported("PPS extensions"));
        }
    }
    Ok(Pps {
        id,
        sps_id,
        dependent_slices,
        output_flag_present,
        num_extra_slice_header_bits,
        sign_data_hiding,
        cabac_init_present,
        init_qp,
        transform_skip,
        cu_qp_delta,
        diff_cu_qp_delta_depth,
        cb_qp_offset,
        cr_qp_offset,
        slice_chroma_qp_offsets,
        transquant_bypass,
        wpp,
        loop_filter_across_slices,
        deblocking_override,
        deblocking_disabled,
        lists_modification,
        slice_header_extension,
    })
}

/// Slice segment header fields the decoder uses.
#[derive(Clone, Debug)]
pub struct SliceHeader {
    pub first_in_pic: bool,
    pub pps_id: u32,
    pub dependent: bool,
    pub address: usize,
    pub qp: i32,
    pub cb_qp_offset: i32,
    pub cr_qp_offset: i32,
    /// Byte offset of the slice data in the RBSP.
    pub data_offset: usize,
    pub num_entry_points: usize,
}

/// Parse a slice segment header (nal_type given) for an I slice; inter slices and
/// in-loop filters are reported as unsupported.
pub fn parse_slice_header(r: &mut BitReader, nal_type: u8, spss: &[Option<Sps>], ppss: &[Option<Pps>]) -> Result<SliceHeader, DecodeError> {
    let first_in_pic = r.flag()?;
    if (16..=23).contains(&nal_type) {
        r.flag()?; // no_output_of_prior_pics
    }
    let pps_id = r.ue_max(63, "slice_pic_parameter_set_id")?;
    let pps = ppss[pps_id as usize].as_ref().ok_or_else(|| DecodeError::Invalid(format!("slice refers to missing PPS {pps_id}")))?;
    let sps = spss[pps.sps_id as usize].as_ref().ok_or_else(|| DecodeError::Invalid(format!("PPS refers to missing SPS {}", pps.sps_id)))?;
    let ctb = 1usize << sps.log2_ctb;
    let pic_ctbs = sps.width.div_ceil(ctb) * sps.height.div_ceil(ctb);
    let mut dependent = false;
    let mut address = 0;
    if !first_in_pic {
        if pps.dependent_slices {
            dependent = r.flag()?;
        }
        let bits = usize::BITS - (pic_ctbs - 1).leading_zeros();
        address = r.u(bits)? as usize;
        if address >= pic_ctbs {
            return Err(DecodeError::Invalid(format!("slice_segment_address {address} >= {pic_ctbs} CTBs")));
        }
    }
    if dependent {
        return Err(unsupported("dependent slice segments"));
    }
    r.skip(pps.num_extra_slice_header_bits as usize)?;
    let slice_type = r.ue_max(2, "slice_type")?;
    if slice_type != 2 {
        return Err(unsupported("inter slices (P/B)"));
    }
    if pps.output_flag_present {
        r.flag()?;
    }
    let idr = nal_type == 19 || nal_type == 20;
    if !idr {
        r.skip(sps.log2_max_poc_lsb as usize)?;
        let sps_rps = r.flag()?;
        if !sps_rps {
            st_ref_pic_set(r, sps.num_short_term_rps, sps.num_short_term_rps, &sps.st_rps_num_delta)?;
        } else if sps.num_short_term_rps > 1 {
            let bits = u32::BITS - (sps.num_short_term_rps - 1).leading_zeros();
            r.skip(bits as usize)?;
        }
        if sps.long_term_refs {
            let num_lt_sps = if sps.num_long_term_sps > 0 { r.ue_max(sps.num_long_term_sps, "num_long_term_sps")? } else { 0 };
            let num_lt_pics = r.ue_max(32, "num_long_term_pics")?;
            for i in 0..num_lt_sps + num_lt_pics {
                if i < num_lt_sps {
                    if sps.num_long_term_sps > 1 {
                        let bits = u32::BITS - (sps.num_long_term_sps - 1).leading_zeros();
                        r.skip(bits as usize)?;
                    }
                } else {
                    r.skip(sps.log2_max_poc_lsb as usize + 1)?;
                }
                if r.flag()? {
                    r.ue()?;
                }
            }
        }
        if sps.temporal_mvp {
            r.flag()?;
        }
    }
    if sps.sao_enabled {
        let luma = r.flag()?;
        let chroma = if sps.chroma_format_idc != 0 { r.flag()? } else { false };
        if luma || chroma {
            return Err(unsupported("SAO (sample adaptive offset)"));
        }
    }
    let qp = pps.init_qp + r.se_range(-(pps.init_qp), 51 - pps.init_qp, "slice_qp_delta")?;
    let (mut cb_qp_offset, mut cr_qp_offset) = (0, 0);
    if pps.slice_chroma_qp_offsets {
        cb_qp_offset = r.se_range(-12, 12, "slice_cb_qp_offset")?;
        cr_qp_offset = r.se_range(-12, 12, "slice_cr_qp_offset")?;
    }
    let mut deblocking_disabled = pps.deblocking_disabled;
    if pps.deblocking_override && r.flag()? {
        deblocking_disabled = r.flag()?;
        if !deblocking_disabled {
            r.se()?;
            r.se()?;
        }
    }
    if !deblocking_disabled {
        return Err(unsupported("deblocking filter"));
    }
    // slice_loop_filter_across_slices_enabled_flag is present only with SAO or
    // deblocking enabled: both are off here.
    let mut num_entry_points = 0;
    if pps.wpp {
        num_entry_points = r.ue_max(sps.height.div_ceil(ctb) as u32, "num_entry_point_offsets")? as usize;
        if num_entry_points > 0 {
            let len = r.ue_max(31, "offset_len_minus1")? + 1;
            r.skip(len as usize * num_entry_points)?;
        }
    }
    if pps.slice_header_extension {
        let n = r.ue_max(256, "slice_segment_header_extension_length")?;
        r.skip(8 * n as usize)?;
    }
    // byte_alignment(): a one bit then zeros
    if !r.flag()? {
        return Err(DecodeError::Invalid("slice header byte_alignment without its one bit".into()));
    }
    let data_offset = r.byte_align();
    Ok(SliceHeader {
        first_in_pic,
        pps_id,
        dependent,
        address,
        qp,
        cb_qp_offset: pps.cb_qp_offset + cb_qp_offset,
        cr_qp_offset: pps.cr_qp_offset + cr_qp_offset,
        data_offset,
        num_entry_points,
    })
}
