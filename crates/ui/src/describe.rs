//! One sentence on what each control does, for the tooltips beside its exact value. Found from
//! the parameter's name, which is unique within a plugin and names its module ("Gate Release",
//! "Comp Ratio", "Low Mid Threshold"), so the widgets need nothing but the parameter.

/// What the parameter called `name` does, in one sentence (`None` for a name this table does
/// not know: the tooltip then shows the value alone).
pub fn what_it_does(name: &str) -> Option<&'static str> {
    exact(name).or_else(|| by_ending(name))
}

/// Names that say it all by themselves.
fn exact(name: &str) -> Option<&'static str> {
    Some(match name {
        "Input Gain" => "Gain before the processing (in the Limiter: the drive into the ceiling).",
        "Output Gain" => {
            "Gain after the processing (in the Limiter it stops at 0 dB, so the ceiling holds)."
        }
        "Bypass" => {
            "Passes the input through, delayed by the plugin's latency, with a 10 ms crossfade."
        }
        "Ceiling" => "The highest true peak the output may reach.",
        "Lookahead" => "How far ahead the gain sees peaks coming: smoother gain, more latency.",
        "Stereo Link" | "Comp Link" => {
            "How much the channels share one gain (100 %: the stereo image stays put)."
        }
        "Oversampling" | "Sat Oversampling" => {
            "Processes at a multiple of the rate, so inter-sample peaks and aliasing are caught."
        }
        "Soft Clip" => {
            "Rounds off peaks above the ceiling before the limiter: denser, a little colour."
        }
        "Dither" => "TPDF noise for the word length you render to (16, 20 or 24 bit).",
        "Noise Shaping" => {
            "Moves the dither's noise up in frequency, where the ear hears it least."
        }
        "Unity Gain Monitor" => {
            "Plays the result at the input's loudness, to judge the limiting without the bias of louder."
        }
        "Loudness Target" => {
            "The integrated loudness you aim for; the meter shows how far the output is."
        }
        "Order" => "Whether the EQ comes before or after the dynamics.",
        "EQ Phase" => {
            "Zero latency (matched IIR) or linear phase (no phase shift, a fixed latency)."
        }
        "Bass Mono" => "Removes the side (stereo) content below the bass mono frequency.",
        "Bass Mono Freq" => "Below this frequency the bass is mono.",
        "Width" => {
            "Stereo width of the whole signal: 0 % mono, 100 % unchanged, 200 % twice the side."
        }
        "Pan" => "Balance between left and right.",
        "Invert Left" | "Invert Right" => "Flips the polarity of that channel.",
        "Mono" => "Sums the output to mono, to check how the mix holds up in mono.",
        "Compare" => {
            "Plays the unprocessed signal at the processed signal's loudness: an honest A/B."
        }
        "Multiband" => "Splits the signal into bands, each compressed on its own.",
        "Bands" => "How many bands the multiband compressor splits the signal into.",
        "Multiband Phase" => {
            "Minimum-phase crossovers (no latency) or linear-phase ones (no phase shift)."
        }
        "Sidechain" => "What the compressor listens to: the signal itself or the sidechain input.",
        "Sidechain HPF" | "Comp SC HPF" => {
            "Keeps the low end out of the detector, so the bass does not pump the compression."
        }
        "Listen" | "De-Ess Listen" => "Plays what the detector hears, to tune its filter.",
        "Mid/Side" => "Compresses mid and side instead of left and right.",
        "Auto Release" => "Adapts the release: fast after transients, slow under sustained level.",
        "Range" => "The most the compressor may turn the signal down.",
        "Gate Range" => "How far the gate turns the signal down when it is closed.",
        "De-Ess Range" => "The most the de-esser may cut.",
        "Gate Hold" => "How long the gate stays open after the signal falls below the threshold.",
        "Gate Hysteresis" => "How far below the threshold the signal must fall to close the gate.",
        "Gate Key HPF" | "Gate Key LPF" => {
            "Filters what the gate listens to, so it opens on the right part."
        }
        "De-Ess Freq" => "Where sibilance is detected and cut.",
        "Saturation" => "Switches the saturation stage after the compressor on or off.",
        "Saturation Drive" | "Sat Drive" => {
            "How hard the saturator is driven: more drive, more harmonics."
        }
        "Saturation Character" | "Sat Character" => "The saturation curve's flavour.",
        "Sat Mix" => "Blend of the saturated and the clean signal.",
        "Sat Compensate" => "Lowers the output by the drive, so more drive is not simply louder.",
        "Imager Low X-Over" | "Imager High X-Over" => "Where the imager's bands split.",
        "Listen to Reference" => {
            "Plays the selected reference at the mix's loudness instead of the mix."
        }
        "Selected Reference" => "The reference you hear and compare with.",
        "Match EQ" => "Applies the correction that brings the mix's tone to the references'.",
        "Match Amount" => "How much of the correction the match EQ applies.",
        "Smoothing" => "How broadly the spectra are smoothed before they are compared.",
        "Match Limit" => "The largest boost or cut the match EQ may apply.",
        "Match Low" | "Match High" => "The match EQ works between these frequencies.",
        "Match Phase" => "Minimum phase (little latency) or linear phase (no phase shift).",
        "Match Target" => "The references' average or the selected reference alone.",
        "Learn" => "Keeps analysing the mix as it plays; off freezes the analysis.",
        _ => return None,
    })
}

/// Names of a kind: a module's switch, a band's or a compressor's controls.
fn by_ending(name: &str) -> Option<&'static str> {
    let module = name.split_whitespace().next().unwrap_or("");
    let last = name.rsplit(' ').next().unwrap_or("");
    let eq_band = ["Low", "Mid", "High"].contains(&module) && !name.contains("Threshold");
    Some(match last {
        "On" => "Switches the module on or off, without a click.",
        "Solo" => "Plays only the soloed bands.",
        "Bypass" => "Passes this band through uncompressed.",
        "Freq" if module == "HP" => "Cut-off of the high-pass filter.",
        "Freq" if module == "LP" => "Cut-off of the low-pass filter.",
        "Freq" => "Centre (or corner) frequency of the band.",
        "Slope" => "Steepness of the filter, dB per octave.",
        "Resonance" => "Emphasis at the filter's cut-off.",
        "Q" => "Bandwidth of the band: higher is narrower.",
        "Gain" if eq_band => "Boost or cut of the band.",
        "Channel" => "Whether the band works on both channels, the mid only or the side only.",
        "Width" => "Stereo width of this band: 0 % mono, 100 % unchanged, 200 % wider.",
        "Threshold" if module == "Gate" => "Level below which the gate closes.",
        "Threshold" if module == "De-Ess" => "Sibilance level above which the de-esser cuts.",
        "Threshold" => "Level above which the compressor turns the signal down.",
        "Ratio" => {
            "How strongly levels above the threshold are reduced (4:1: 4 dB over in, 1 dB out)."
        }
        "Knee" => "Width of the soft transition around the threshold.",
        "Attack" if module == "Gate" => "How fast the gate opens.",
        "Attack" => "How fast the gain reduction follows a louder signal.",
        "Release" if module == "Gate" => "How fast the gate closes.",
        "Release" => "How fast the gain recovers when the level drops.",
        "Detection" => "Peak (follows transients) or RMS (follows loudness) level detection.",
        "Makeup" => "Gain after the compression, to bring the level back up.",
        "Auto Makeup" => "Sets the makeup gain from the threshold and ratio.",
        "Mix" => "Blend of the compressed and the dry signal (parallel compression).",
        _ if name.starts_with("Crossover") => "Where two bands of the multiband compressor meet.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parameter of the three plugins `lathe render` knows, and of Lathe Reference, has a
    /// sentence.
    #[test]
    fn every_parameter_has_a_sentence() {
        use lathe_params::param_table::ParamTable;
        use nice_plug::prelude::Params;
        let all: [(&str, &dyn Params); 4] = [
            ("limiter", &lathe_params::limiter::LimiterParams::default()),
            (
                "strip",
                &lathe_params::channel_strip::ChannelStripParams::default(),
            ),
            (
                "bus",
                &lathe_params::bus_compressor::BusCompressorParams::default(),
            ),
            (
                "reference",
                &lathe_params::reference::ReferenceParams::default(),
            ),
        ];
        let mut missing = Vec::new();
        for (plugin, params) in all {
            for p in ParamTable::new(params).iter() {
                if what_it_does(&p.name()).is_none() {
                    missing.push(format!("{plugin}: {}", p.name()));
                }
            }
        }
        assert!(missing.is_empty(), "no sentence for {missing:?}");
        assert_eq!(
            what_it_does("Gate Release"),
            Some("How fast the gate closes.")
        );
        assert_eq!(
            what_it_does("Low Mid Gain"),
            Some("Boost or cut of the band.")
        );
        assert_eq!(
            what_it_does("Low Mid Threshold"),
            Some("Level above which the compressor turns the signal down.")
        );
    }
}
