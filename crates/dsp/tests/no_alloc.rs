//! Nothing on the audio thread allocates after construction:
//! - the meter: processing (planar and interleaved, any channel count), readouts, publishing,
//!   `reset_maxima` and `reset`;
//! - the limiter chain: processing while every setting changes, oversampling factor and
//!   lookahead (which change the latency) included.
//!
//! - the channel strip: processing while every setting changes (slopes, oversampling, order).
//!
//! One test at a time touches the counting flag, so they share a lock.

use lathe_dsp::Block;
use lathe_dsp::PluginChain;
use lathe_dsp::analysis::loudness::{LoudnessMeter, LoudnessReadouts};
use lathe_dsp::chains::Limiter;
use lathe_dsp::chains::limiter::Oversampling;
use lathe_dsp::chains::{ChainSettings, Core};
use lathe_dsp::color::dither::DitherDepth;
use lathe_dsp::filters::eq::EqChannel;

mod counting;

use counting::{ALLOCATIONS, FREES, SERIAL, allocations_in, count, ramp_pair};
use std::sync::atomic::Ordering;

/// What `chain` allocates over 40 steps, each changing its settings (`change(step, ..)`),
/// processing a short and a full block of a ramp pair, reading what an editor reads (`read`)
/// and the latency; then a reset.
fn allocations_over_steps<C: Core>(
    chain: &mut PluginChain<C>,
    (scale, start): (f32, f32),
    mut change: impl FnMut(usize, &mut ChainSettings<C::Settings>),
    mut read: impl FnMut(&mut PluginChain<C>),
) -> usize {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut a, mut b) = ramp_pair(scale, start);
    let mut settings = ChainSettings::<C::Settings>::default();
    chain.set_settings(&settings);
    allocations_in(|| {
        for step in 0..40usize {
            change(step, &mut settings);
            chain.set_settings(&settings);
            chain.process(&mut [&mut a[..1000], &mut b[..1000]]);
            chain.process(&mut [&mut a, &mut b]);
            read(chain);
            let _ = chain.latency();
        }
        chain.reset();
    })
}

#[test]
fn nothing_allocates_after_construction() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for channels in [1usize, 2, 6, 12] {
        let planar: Vec<Vec<f32>> = (0..channels)
            .map(|c| {
                (0..10_000)
                    .map(|i| ((i * (c + 3)) % 97) as f32 / 97.0 - 0.5)
                    .collect()
            })
            .collect();
        let interleaved: Vec<f32> = (0..10_000)
            .flat_map(|i| planar.iter().map(move |ch| ch[i]))
            .collect();
        let slices: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
        let mut meter = LoudnessMeter::for_channels(48_000.0, channels);
        let readouts = LoudnessReadouts::default();

        ALLOCATIONS.store(0, Ordering::SeqCst);
        count(true);
        for _ in 0..50 {
            meter.process(&slices);
            meter.process_interleaved(&interleaved);
            meter.publish(&readouts);
        }
        let report = meter.report();
        meter.reset_maxima();
        meter.reset();
        count(false);

        assert!(report.integrated_lufs.is_finite());
        assert_eq!(
            ALLOCATIONS.load(Ordering::SeqCst),
            0,
            "{channels} channels: the meter allocated after construction"
        );
    }
}

#[test]
fn limiter_chain_allocates_nothing_while_settings_change() {
    let mut chain = Limiter::new(2, 48_000.0);
    let allocations = allocations_over_steps(
        &mut chain,
        (30.0, -1.6),
        |step, settings| {
            settings.core.oversampling = Oversampling::ALL[step % 5];
            settings.core.lookahead_ms = [0.5, 1.5, 10.0][step % 3];
            settings.core.release_ms = 20.0 + step as f32;
            settings.core.link = (step % 4) as f32 / 3.0;
            settings.core.soft_clip = step % 2 == 0;
            settings.core.dither =
                [DitherDepth::Off, DitherDepth::Bits16, DitherDepth::Bits24][step % 3];
            settings.core.noise_shaping = step % 5 == 0;
            settings.core.unity_gain = step % 3 == 0;
            settings.io.input_gain_db = (step % 13) as f32;
            settings.io.bypass = step % 7 == 0;
        },
        |chain| {
            let _ = chain.core_mut().take_min_gain();
        },
    );
    assert_eq!(
        allocations, 0,
        "the limiter chain allocated on the audio thread"
    );
}

#[test]
fn channel_strip_allocates_nothing_while_settings_change() {
    use lathe_dsp::chains::ChannelStrip;
    use lathe_dsp::chains::channel_strip::ModuleOrder;
    use lathe_dsp::color::saturator::{Character, SaturatorOversampling};
    use lathe_dsp::dynamics::Detection;
    use lathe_dsp::filters::design::Slope;
    let mut chain = ChannelStrip::new(2, 48_000.0);
    let allocations = allocations_over_steps(
        &mut chain,
        (60.0, -0.8),
        |step, settings| {
            let s = &mut settings.core;
            s.highpass.enabled = step % 3 != 0;
            s.highpass.slope = [Slope::Db6, Slope::Db12, Slope::Db24, Slope::Db48][step % 4];
            s.highpass.freq_hz = 20.0 + 10.0 * step as f32;
            s.lowpass.enabled = step % 4 != 0;
            s.lowpass.slope = [Slope::Db18, Slope::Db36][step % 2];
            s.eq_enabled = step % 5 != 0;
            for (k, band) in s.eq.bands.iter_mut().enumerate() {
                band.gain_db = ((step + k) % 9) as f32 - 4.0;
                band.freq_hz = 100.0 * (k + 1) as f32 * (1.0 + step as f32 / 10.0);
            }
            s.gate_enabled = step % 2 == 0;
            s.compressor_enabled = step % 3 != 1;
            s.compressor.detection = [Detection::Peak, Detection::Rms][step % 2];
            s.compressor.sidechain_hpf_hz = [0.0, 100.0][step % 2];
            s.deesser_enabled = step % 2 == 1;
            s.saturator_enabled = step % 4 != 3;
            s.saturator.character =
                [Character::Tape, Character::Tube, Character::HardClip][step % 3];
            s.saturator.oversampling = [
                SaturatorOversampling::Off,
                SaturatorOversampling::X2,
                SaturatorOversampling::X4,
                SaturatorOversampling::X8,
            ][step % 4];
            s.imager_enabled = step % 3 != 2;
            s.imager.width_low = (step % 4) as f32 / 2.0;
            s.imager.bass_mono = step % 2 == 0;
            s.imager.xover_low_hz = 100.0 + 10.0 * step as f32;
            s.stereo.width = (step % 5) as f32 / 2.0;
            s.stereo.mono = step % 7 == 0;
            s.order = [ModuleOrder::EqFirst, ModuleOrder::DynamicsFirst][step % 2];
            settings.io.bypass = step % 9 == 0;
        },
        |chain| {
            let _ = chain.core_mut().take_readouts();
            let _ = chain.core().magnitude_db(1000.0);
        },
    );
    assert_eq!(
        allocations, 0,
        "the channel strip allocated on the audio thread"
    );
}

#[test]
fn reference_chain_neither_allocates_nor_frees_while_kernels_and_audio_arrive() {
    use lathe_dsp::analysis::match_eq::MatchPhase;
    use lathe_dsp::chains::Reference;
    use lathe_dsp::chains::reference::{
        KernelMessage, MatchDesign, ReferenceAudio, ReferenceSettings, design_kernel,
    };
    use lathe_dsp::rt::mailbox::mailbox;
    use std::sync::Arc;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut ktx, krx) = mailbox::<Box<KernelMessage>>();
    let (mut atx, arx) = mailbox::<Option<Arc<ReferenceAudio>>>();
    let mut chain = Reference::new(2, 48_000.0);
    chain.core_mut().attach(krx, arx);
    let (mut a, mut b) = ramp_pair(60.0, -0.8);
    let mut settings = ChainSettings::<ReferenceSettings>::default();
    let flat = vec![-30.0f32; lathe_dsp::analysis::reference::GRID_POINTS];
    let tilted: Vec<f32> = (0..lathe_dsp::analysis::reference::GRID_POINTS)
        .map(|i| -30.0 - i as f32 / 24.0)
        .collect();
    ALLOCATIONS.store(0, Ordering::SeqCst);
    FREES.store(0, Ordering::SeqCst);
    for step in 0..12usize {
        // The worker's side, not counted.
        count(false);
        let design = MatchDesign {
            enabled: step % 3 != 0,
            phase: [MatchPhase::Minimum, MatchPhase::Linear][step % 2],
            ..Default::default()
        };
        let (msg, _) = design_kernel(Some(&flat), Some(&tilted), &design, 48_000.0);
        let _ = ktx.send(Box::new(msg));
        if step % 4 == 1 {
            let audio = Arc::new(ReferenceAudio {
                sample_rate_hz: 48_000.0,
                channels: [vec![0.1; 30_000], vec![-0.1; 30_000]],
            });
            let _ = atx.send(Some(audio));
        }
        // The audio thread's side.
        count(true);
        settings.core.listen_reference = step % 2 == 1;
        settings.core.reference_gain_db = step as f64 - 6.0;
        settings.core.transport_pos = (step % 3 != 0).then_some(step as i64 * 5000);
        settings.core.match_enabled = step % 5 != 0;
        settings.core.phase = design.phase;
        chain.set_settings(&settings);
        chain.process(&mut [&mut a[..1000], &mut b[..1000]]);
        chain.process(&mut [&mut a, &mut b]);
        let _ = chain.latency();
        count(false);
    }
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations");
    assert_eq!(FREES.load(Ordering::SeqCst), 0, "frees");
}

#[test]
fn linear_phase_strip_neither_allocates_nor_frees_while_its_designer_delivers() {
    use lathe_dsp::chains::ChannelStrip;
    use lathe_dsp::chains::channel_strip::{ChannelStripSettings, EqPhase};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut chain = ChannelStrip::new(2, 48_000.0);
    chain.core_mut().attach_designer().unwrap();
    let (mut a, mut b) = ramp_pair(60.0, -0.8);
    let mut settings = ChainSettings::<ChannelStripSettings>::default();
    let mut delivered = 0;
    ALLOCATIONS.store(0, Ordering::SeqCst);
    FREES.store(0, Ordering::SeqCst);
    for step in 0..30usize {
        count(true);
        let s = &mut settings.core;
        s.eq_phase = [EqPhase::Linear, EqPhase::Linear, EqPhase::ZeroLatency][step % 3];
        s.highpass.enabled = step % 2 == 0;
        s.eq.bands[2].gain_db = (step % 7) as f32 - 3.0;
        s.eq.channels[1] = [EqChannel::Stereo, EqChannel::Side][step % 2];
        chain.set_settings(&settings);
        chain.process(&mut [&mut a[..1000], &mut b[..1000]]);
        chain.process(&mut [&mut a, &mut b]);
        let _ = chain.latency();
        count(false);
        // Time for the designer thread (not counted: it is another thread anyway).
        std::thread::sleep(std::time::Duration::from_millis(15));
        count(true);
        chain.set_settings(&settings);
        chain.process(&mut [&mut a[..1000], &mut b[..1000]]);
        if chain.core().linear_eq().is_current() && settings.core.eq_phase == EqPhase::Linear {
            delivered += 1;
        }
        count(false);
    }
    assert!(
        delivered > 5,
        "the designer delivered only {delivered} times"
    );
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "allocations");
    assert_eq!(FREES.load(Ordering::SeqCst), 0, "frees");
}
