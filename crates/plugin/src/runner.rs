//! Drives a `lathe-dsp` chain from nice-plug's process callback.

use crate::meters::IoMeters;
use lathe_dsp::chains::{ChainSettings, Core, MAX_CHANNELS};
use lathe_dsp::{Block, PluginChain};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;

/// What every Lathe plugin holds (its `parts` field): its parameters, the meters its editor
/// reads and the runner of its chain. [`plugin_items!`](crate::plugin_items) and
/// [`chain_items!`](crate::chain_items) read them.
pub struct PluginParts<P, M, C: Core> {
    /// The parameters, shared with the host and the editor.
    pub params: std::sync::Arc<P>,
    /// What the audio thread writes for the editor.
    pub meters: std::sync::Arc<M>,
    /// The chain between `activate` and `deactivate`.
    pub runner: ChainRunner<C>,
}

impl<P: Default, M: Default, C: Core> Default for PluginParts<P, M, C> {
    fn default() -> Self {
        Self {
            params: Default::default(),
            meters: Default::default(),
            runner: ChainRunner::default(),
        }
    }
}

/// A buffer's channels as read-only slices, without allocating (the audio thread's meters and
/// sidechain take them so): the first `n` entries of the array are the channels.
pub fn channel_slices<'a>(buffer: &'a Buffer) -> ([&'a [f32]; MAX_CHANNELS], usize) {
    let mut slices: [&[f32]; MAX_CHANNELS] = Default::default();
    let channels = buffer.as_slice_immutable();
    for (s, ch) in slices.iter_mut().zip(channels.iter()) {
        *s = ch;
    }
    (slices, channels.len().min(MAX_CHANNELS))
}

/// Owns a plugin's chain between `activate` and `deactivate` and reports latency to the host.
pub struct ChainRunner<C: Core> {
    chain: Option<PluginChain<C>>,
    reported_latency: u32,
    /// The A/B switch's dip ([`crate::switch`]).
    switch: crate::switch::SwitchFade,
}

impl<C: Core> Default for ChainRunner<C> {
    fn default() -> Self {
        Self {
            chain: None,
            reported_latency: 0,
            switch: crate::switch::SwitchFade::new(48_000.0),
        }
    }
}

impl<C: Core> ChainRunner<C> {
    /// (Re)creates the chain for the layout and sample rate, applies the current settings, and
    /// reports the resulting latency (to the host and in `meters`, with the sample rate). Called
    /// from `Plugin::activate` (allocation is allowed).
    pub fn activate<P: Plugin>(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        settings: &ChainSettings<C::Settings>,
        meters: &IoMeters,
        context: &mut impl ActivateContext<P>,
    ) -> bool {
        let channels = layout
            .main_output_channels
            .map_or(0, |c| c.get() as usize)
            .max(layout.main_input_channels.map_or(0, |c| c.get() as usize));
        if channels == 0
            || channels > MAX_CHANNELS
            || !config.sample_rate.is_finite()
            || config.sample_rate <= 0.0
        {
            return false;
        }
        let sample_rate = config.sample_rate as f64;
        let rebuild = match &self.chain {
            Some(chain) => chain.max_channels() != channels,
            None => true,
        };
        if rebuild {
            self.chain = Some(PluginChain::new(channels, sample_rate));
        }
        let chain = self.chain.as_mut().expect("chain created above");
        if chain.sample_rate_hz() != sample_rate {
            chain.set_sample_rate(sample_rate);
        }
        chain.reset();
        chain.set_settings(settings);
        self.switch = crate::switch::SwitchFade::new(sample_rate);
        self.reported_latency = chain.latency();
        context.set_latency_samples(self.reported_latency);
        meters
            .latency_samples
            .store(self.reported_latency, Ordering::Relaxed);
        meters
            .sample_rate_hz
            .store(config.sample_rate, Ordering::Relaxed);
        true
    }

    /// Clears the chain's signal state (host reset, transport start/stop).
    pub fn reset(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.reset();
        }
    }

    /// The chain, once activated.
    pub fn chain(&self) -> Option<&PluginChain<C>> {
        self.chain.as_ref()
    }

    /// The chain, once activated, for readouts that reset on read.
    pub fn chain_mut(&mut self) -> Option<&mut PluginChain<C>> {
        self.chain.as_mut()
    }

    /// Applies settings, processes the buffer in place with an optional sidechain, updates the
    /// meters (peaks, latency) and tells the host if the latency changed.
    pub fn process<P: Plugin>(
        &mut self,
        settings: &ChainSettings<C::Settings>,
        buffer: &mut Buffer,
        sidechain: Option<&Buffer>,
        meters: &IoMeters,
        context: &mut impl ProcessContext<P>,
    ) -> ProcessStatus {
        let Some(chain) = self.chain.as_mut() else {
            return ProcessStatus::Error("process called before activate");
        };
        chain.set_settings(settings);
        let latency = chain.latency();
        if latency != self.reported_latency {
            self.reported_latency = latency;
            context.set_latency_samples(latency);
            meters.latency_samples.store(latency, Ordering::Relaxed);
        }
        match sidechain.filter(|sc| sc.channels() > 0) {
            Some(sc) => {
                let (key, n) = channel_slices(sc);
                chain.process_with_sidechain(buffer.as_slice(), Some(&key[..n]));
            }
            None => chain.process_with_sidechain(buffer.as_slice(), None),
        }
        self.switch.process(&meters.ab_switch, buffer.as_slice());
        meters.input.raise(chain.input_peak());
        meters.output.raise(chain.output_peak());
        // With latency, the last `latency` samples of input are still inside the plugin when the
        // input goes quiet: ask the host to keep calling for that long.
        if latency > 0 {
            ProcessStatus::Tail(latency)
        } else {
            ProcessStatus::Normal
        }
    }
}

/// What a Lathe plugin adds around its chain. [`plugin_items!`](crate::plugin_items) writes
/// `Plugin::activate` and `Plugin::process` from it ([`activate_chain`], [`process_chain`]),
/// so every plugin activates, reports latency, flushes denormals and drives its chain the same
/// way and only says what is its own.
pub trait ChainPlugin {
    /// The plugin's DSP core.
    type Core: Core;
    /// Whether the first auxiliary input is the chain's sidechain.
    const SIDECHAIN: bool = false;

    /// The runner and the meters it writes (two fields of the plugin).
    fn runner_and_meters(&mut self) -> (&mut ChainRunner<Self::Core>, &IoMeters);

    /// The chain settings the parameters describe now; `transport` is `None` at activation.
    fn chain_settings(
        &self,
        transport: Option<&Transport>,
    ) -> ChainSettings<<Self::Core as Core>::Settings>;

    /// After the chain is (re)created in `activate` (allocation is allowed): meters' state.
    fn activated(&mut self, layout: &AudioIOLayout, config: &BufferConfig) {
        let _ = (layout, config);
    }

    /// The host's transport for the block about to be processed (before
    /// [`ChainPlugin::before_process`]).
    fn transport(&mut self, transport: &Transport) {
        let _ = transport;
    }

    /// Before the chain processes `buffer` (the host's input).
    fn before_process(&mut self, buffer: &mut Buffer) {
        let _ = buffer;
    }

    /// After the chain processed `buffer` (the plugin's output): readouts.
    fn after_process(&mut self, buffer: &Buffer) {
        let _ = buffer;
    }
}

/// `Plugin::activate` of a [`ChainPlugin`].
pub fn activate_chain<P: Plugin + ChainPlugin>(
    plugin: &mut P,
    layout: &AudioIOLayout,
    config: &BufferConfig,
    context: &mut impl ActivateContext<P>,
) -> bool {
    let settings = plugin.chain_settings(None);
    let (runner, meters) = plugin.runner_and_meters();
    if !runner.activate(layout, config, &settings, meters, context) {
        return false;
    }
    plugin.activated(layout, config);
    true
}

/// `Plugin::process` of a [`ChainPlugin`]: subnormals flushed for the whole call (FTZ/DAZ,
/// restored on return), the plugin's own work before and after the chain.
pub fn process_chain<P: Plugin + ChainPlugin>(
    plugin: &mut P,
    buffer: &mut Buffer,
    aux: &mut AuxiliaryBuffers,
    context: &mut impl ProcessContext<P>,
) -> ProcessStatus {
    let _denormals = lathe_dsp::math::FlushDenormals::new();
    plugin.transport(context.transport());
    plugin.before_process(buffer);
    let settings = plugin.chain_settings(Some(context.transport()));
    let sidechain = if P::SIDECHAIN {
        aux.inputs.first()
    } else {
        None
    };
    let (runner, meters) = plugin.runner_and_meters();
    let status = runner.process(&settings, buffer, sidechain, meters, context);
    plugin.after_process(buffer);
    status
}
