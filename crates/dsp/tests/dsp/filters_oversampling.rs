//! Oversampler round trips: latency is a whole number of samples and equals the delay of an
//! in-band signal, the audio band passes flat, images are rejected, and every factor works.

use lathe_dsp::filters::oversampling::Oversampler;

use crate::common;

const SR: f64 = 48_000.0;

fn sine(freq: f64, n: usize) -> Vec<f32> {
    common::sine(freq, 0.5, SR, n)
}

fn round_trip(os: &mut Oversampler, x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|&v| os.process_sample(0, v, &mut |_| {}))
        .collect()
}

#[test]
fn round_trip_is_a_delay_of_the_reported_latency() {
    for factor in [1usize, 2, 4, 8, 16] {
        let mut os = Oversampler::new(1, factor);
        assert_eq!(os.factor(), factor);
        let latency = os.latency() as usize;
        for freq in [100.0, 1000.0, 8000.0, 17_000.0] {
            os.reset();
            let x = sine(freq, 8000);
            let y = round_trip(&mut os, &x);
            let worst = (2000..8000)
                .map(|i| (y[i] - x[i - latency]).abs())
                .fold(0.0f32, f32::max);
            // Better than -80 dB of the 0.5 amplitude (-86 dBFS) across the audio band.
            assert!(
                worst < 0.5e-4,
                "{factor}x at {freq} Hz: error {worst} with latency {latency}"
            );
        }
    }
}

#[test]
fn latency_per_factor() {
    let latencies: Vec<u32> = [1, 2, 4, 8, 16]
        .iter()
        .map(|&f| Oversampler::new(1, f).latency())
        .collect();
    eprintln!("latency by factor 1/2/4/8/16: {latencies:?}");
    assert_eq!(latencies[0], 0);
    assert!(latencies.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn images_are_rejected() {
    // Upsample a 15 kHz tone by 2 and look at the 96 kHz signal: zero-stuffing would put an
    // image at 48 - 15 = 33 kHz; the filter must hold it at least 90 dB below the tone.
    let mut os = Oversampler::new(1, 2);
    let x = sine(15_000.0, 12_000);
    let mut high = Vec::new();
    for &v in &x {
        os.process_sample(0, v, &mut |buf| high.extend_from_slice(buf));
    }
    let high = &high[4000..];
    let level = |f: f64| common::tone_amplitude(high, f, 2.0 * SR);
    let tone = level(15_000.0);
    let image = level(33_000.0);
    let rejection = 20.0 * (image / tone).log10();
    eprintln!("2x image rejection at 33 kHz: {rejection:.1} dB");
    assert!((tone - 0.5).abs() < 0.001, "tone {tone}");
    assert!(rejection < -90.0, "image at {rejection} dB");
}

#[test]
fn process_sees_the_high_rate_samples() {
    // Halving every high-rate sample halves the output.
    let mut os = Oversampler::new(2, 4);
    let latency = os.latency() as usize;
    let x = sine(1000.0, 4000);
    let y: Vec<f32> = x
        .iter()
        .map(|&v| os.process_sample(1, v, &mut |buf| buf.iter_mut().for_each(|s| *s *= 0.5)))
        .collect();
    for i in 1000..4000 {
        assert!((y[i] - 0.5 * x[i - latency]).abs() < 1e-4, "sample {i}");
    }
}
