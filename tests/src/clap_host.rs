//! A minimal but real CLAP host built on `clack-host`: enough of the host side (params, state,
//! latency, log, main-thread callbacks) for the conformance battery.

use crate::{Descriptor, ParamInfo, Planar, TestHost};
use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_activation::{PluginAudioPortsActivation, SampleSize};
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl, PluginGui};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

/// Host state shared between threads.
#[derive(Default)]
pub struct Shared {
    params: OnceLock<Option<PluginParams>>,
    state: OnceLock<Option<PluginState>>,
    latency: OnceLock<Option<PluginLatency>>,
    audio_ports: OnceLock<Option<PluginAudioPorts>>,
    audio_ports_activation: OnceLock<Option<PluginAudioPortsActivation>>,
    gui: OnceLock<Option<PluginGui>>,
    /// The sizes the plugin's editor asked the host for (`gui.request_resize`).
    pub resize_requests: Mutex<Vec<(u32, u32)>>,
    callback_requested: AtomicBool,
    restart_requested: AtomicBool,
    /// Number of `params.rescan` calls with the VALUES flag (state load must trigger one).
    pub value_rescans: AtomicU32,
    /// Number of `latency.changed` calls.
    pub latency_changes: AtomicU32,
    /// Whether the host is inside `clap_plugin::activate()`, the only place where the plugin may
    /// call `latency.changed()` (ext/latency.h).
    in_activate: AtomicBool,
    /// The host's main thread: the one that loaded the plugin.
    main_thread: OnceLock<ThreadId>,
    /// Whether a `process` call is running: the calling thread is then the audio thread (this
    /// host runs both on one thread and says so through `thread-check`).
    in_process: AtomicBool,
    /// Host callbacks that broke a rule of the CLAP spec: which one, where and on which thread.
    violations: Mutex<Vec<String>>,
}

impl Shared {
    fn violation(&self, what: String) {
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }
}

impl<'a> SharedHandler<'a> for Shared {
    fn initializing(&self, instance: InitializingPluginHandle<'a>) {
        let _ = self.params.set(instance.get_extension());
        let _ = self.state.set(instance.get_extension());
        let _ = self.latency.set(instance.get_extension());
        let _ = self.audio_ports.set(instance.get_extension());
        let _ = self.audio_ports_activation.set(instance.get_extension());
        let _ = self.gui.set(instance.get_extension());
    }
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, new_size: GuiSize) -> Result<(), HostError> {
        if let Ok(mut r) = self.resize_requests.lock() {
            r.push((new_size.width, new_size.height));
        }
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

impl HostLogImpl for Shared {
    fn log(&self, severity: LogSeverity, message: &str) {
        if matches!(severity, LogSeverity::Error | LogSeverity::Fatal) {
            eprintln!("[plugin {severity}] {message}");
        }
    }
}

impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        self.main_thread.get() == Some(&std::thread::current().id())
            && !self.in_process.load(Ordering::SeqCst)
    }
    fn is_audio_thread(&self) -> bool {
        self.in_process.load(Ordering::SeqCst)
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

/// Main-thread host state.
pub struct MainThread<'a> {
    shared: &'a Shared,
}

impl<'a> MainThreadHandler<'a> for MainThread<'a> {}

impl HostParamsImplMainThread for MainThread<'_> {
    fn rescan(&self, flags: ParamRescanFlags) {
        if flags.contains(ParamRescanFlags::VALUES) || flags.contains(ParamRescanFlags::ALL) {
            self.shared.value_rescans.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostLatencyImpl for MainThread<'_> {
    fn changed(&self) {
        self.shared.latency_changes.fetch_add(1, Ordering::SeqCst);
        if !self.shared.is_main_thread() {
            self.shared.violation(
                "clap_host_latency::changed called on the audio thread, not the main thread"
                    .to_owned(),
            );
        }
        if !self.shared.in_activate.load(Ordering::SeqCst) {
            self.shared.violation(
                "clap_host_latency::changed called outside clap_plugin::activate".to_owned(),
            );
        }
    }
}

impl HostStateImpl for MainThread<'_> {
    fn mark_dirty(&self) {}
}

/// The host type.
pub struct LatheTestHost;

impl HostHandlers for LatheTestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostParams>()
            .register::<HostLatency>()
            .register::<HostThreadCheck>()
            .register::<HostGui>()
            .register::<HostState>();
    }
}

/// One plugin instance loaded from a `.clap` file.
pub struct ClapTestHost {
    descriptor: Descriptor,
    // Field order matters: the processor and instance must drop before the entry.
    processor: Option<StartedPluginAudioProcessor<LatheTestHost>>,
    instance: PluginInstance<LatheTestHost>,
    last_status: Option<clack_host::process::ProcessStatus>,
    pending: Vec<ParamValueEvent>,
    channels: usize,
    /// The last activation's sample rate and maximum block, for restarts.
    config: (f64, usize),
    /// Whether the sidechain port is active (`audio-ports-activation`); an inactive port gets no
    /// buffers.
    sidechain_active: bool,
    /// Whether `process` leaves requested main-thread callbacks for later.
    defer_callbacks: bool,
    _entry: PluginEntry,
}

impl ClapTestHost {
    /// The plugin `p` from its built `.clap` bundle.
    pub fn for_plugin(p: &crate::Expected) -> Self {
        Self::load(&crate::clap_path(p), p.clap_id)
    }

    /// Loads the plugin with the given CLAP id from a `.clap` file and instantiates it.
    pub fn load(path: &Path, id: &str) -> Self {
        // SAFETY: the bundle is one of ours, built from this workspace.
        let entry = unsafe { PluginEntry::load(path) }.expect("load the CLAP entry");
        let factory = entry.get_plugin_factory().expect("plugin factory");
        let descriptors: Vec<_> = factory.plugin_descriptors().collect();
        assert_eq!(descriptors.len(), 1, "one plugin per bundle");
        let d = &descriptors[0];
        let text = |s: Option<&std::ffi::CStr>| {
            s.map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let descriptor = Descriptor {
            id: text(d.id()),
            name: text(d.name()),
            vendor: text(d.vendor()),
            version: text(d.version()),
            features: d
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        };
        let host_info = HostInfo::new(
            "Lathe conformance",
            "Lathe Audio",
            "https://example.invalid",
            "0.2.0",
        )
        .expect("host info");
        let id_c = CString::new(id).expect("id");
        let instance = PluginInstance::<LatheTestHost>::new(
            |_| {
                let shared = Shared::default();
                let _ = shared.main_thread.set(std::thread::current().id());
                shared
            },
            |shared| MainThread { shared },
            &entry,
            &id_c,
            &host_info,
        )
        .expect("instantiate plugin");
        let mut host = Self {
            descriptor,
            processor: None,
            instance,
            last_status: None,
            pending: Vec::new(),
            channels: 2,
            config: (48_000.0, 512),
            sidechain_active: true,
            defer_callbacks: false,
            _entry: entry,
        };
        host.pump_main_thread();
        host
    }

    /// Runs pending main-thread callbacks the plugin requested.
    pub fn pump_main_thread(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|h| h.callback_requested.swap(false, Ordering::SeqCst));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// How often the plugin asked the host to rescan parameter values.
    pub fn value_rescans(&mut self) -> u32 {
        self.pump_main_thread();
        self.instance
            .access_shared_handler(|h| h.value_rescans.load(Ordering::SeqCst))
    }

    /// How often the plugin told the host its latency changed.
    pub fn latency_changes(&mut self) -> u32 {
        self.pump_main_thread();
        self.instance
            .access_shared_handler(|h| h.latency_changes.load(Ordering::SeqCst))
    }

    /// The status the last `process` call returned (continue, tail, sleep...).
    pub fn last_status(&self) -> Option<clack_host::process::ProcessStatus> {
        self.last_status
    }

    /// Whether the plugin asked for a restart (deactivate + activate) since the last call.
    pub fn take_restart_request(&mut self) -> bool {
        self.pump_main_thread();
        self.instance
            .access_shared_handler(|h| h.restart_requested.swap(false, Ordering::SeqCst))
    }

    /// Channel counts of the audio ports: (inputs, outputs).
    pub fn audio_ports(&mut self) -> (Vec<u32>, Vec<u32>) {
        let ext = self
            .instance
            .access_shared_handler(|h| *h.audio_ports.get().expect("initialized"))
            .expect("audio-ports extension");
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortInfoBuffer::new();
        let mut list = |is_input| {
            (0..ext.count(&handle, is_input))
                .map(|i| {
                    ext.get(&handle, i, is_input, &mut buffer)
                        .expect("port info")
                        .channel_count
                })
                .collect::<Vec<u32>>()
        };
        (list(true), list(false))
    }

    /// The plugin's `gui` extension, if it has one.
    pub fn gui_ext(&self) -> Option<PluginGui> {
        self.instance
            .access_shared_handler(|h| *h.gui.get().expect("initialized"))
    }

    /// Runs `f` with the gui extension and the plugin's main-thread handle.
    pub fn with_gui<R>(
        &mut self,
        f: impl FnOnce(&PluginGui, &mut clack_host::plugin::PluginMainThreadHandle) -> R,
    ) -> Option<R> {
        let gui = self.gui_ext()?;
        Some(f(&gui, &mut self.instance.plugin_handle()))
    }

    /// The sizes the editor asked the host for so far.
    pub fn resize_requests(&self) -> Vec<(u32, u32)> {
        self.instance.access_shared_handler(|h| {
            h.resize_requests
                .lock()
                .map(|r| r.clone())
                .unwrap_or_default()
        })
    }

    fn params_ext(&self) -> PluginParams {
        self.instance
            .access_shared_handler(|h| *h.params.get().expect("initialized"))
            .expect("params extension")
    }

    fn state_ext(&self) -> PluginState {
        self.instance
            .access_shared_handler(|h| *h.state.get().expect("initialized"))
            .expect("state extension")
    }

    fn flush_inactive(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let params = self.params_ext();
        let mut buffer = EventBuffer::new();
        for e in self.pending.drain(..) {
            buffer.push(&e);
        }
        let mut out = EventBuffer::new();
        if let Some(mut handle) = self.instance.inactive_plugin_handle() {
            params.flush(
                &mut handle,
                &InputEvents::from_buffer(&buffer),
                &mut OutputEvents::from_buffer(&mut out),
            );
        }
    }
}

impl TestHost for ClapTestHost {
    fn descriptor(&self) -> Descriptor {
        self.descriptor.clone()
    }

    fn params(&mut self) -> Vec<ParamInfo> {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .map(|i| {
                let info = ext.get_info(&handle, i, &mut buffer).expect("param info");
                ParamInfo {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    step: info
                        .flags
                        .contains(ParamInfoFlags::IS_STEPPED)
                        .then_some(1.0),
                    is_bypass: info.flags.contains(ParamInfoFlags::IS_BYPASS),
                    is_list: info.flags.contains(ParamInfoFlags::IS_ENUM),
                }
            })
            .collect()
    }

    fn param_info_exists(&mut self, index: usize) -> bool {
        let ext = self.params_ext();
        let mut buffer = ParamInfoBuffer::new();
        ext.get_info(&self.instance.plugin_handle(), index as u32, &mut buffer)
            .is_some()
    }

    fn set_param(&mut self, id: u32, value: f64) {
        self.pending.push(ParamValueEvent::new(
            0,
            ClapId::new(id),
            Pckn::match_all(),
            value,
        ));
        if self.processor.is_none() {
            self.flush_inactive();
        }
    }

    fn set_param_at(&mut self, id: u32, value: f64, offset: u32) {
        self.pending.push(ParamValueEvent::new(
            offset,
            ClapId::new(id),
            Pckn::match_all(),
            value,
        ));
    }

    fn get_param(&mut self, id: u32) -> f64 {
        let ext = self.params_ext();
        ext.get_value(&self.instance.plugin_handle(), ClapId::new(id))
            .expect("param value")
    }

    fn value_to_text(&mut self, id: u32, value: f64) -> Option<String> {
        let ext = self.params_ext();
        let mut buf = [0u8; 256];
        ext.value_to_text(
            &self.instance.plugin_handle(),
            ClapId::new(id),
            value,
            &mut buf,
        )
        .ok()
        .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64> {
        let ext = self.params_ext();
        let c = CString::new(text).ok()?;
        ext.text_to_value(&self.instance.plugin_handle(), ClapId::new(id), &c)
    }

    fn editor_geometry(&mut self) -> Option<((u32, u32), bool)> {
        self.with_gui(|gui, plugin| {
            let size = gui.get_size(plugin)?;
            Some(((size.width, size.height), gui.can_resize(plugin)))
        })
        .flatten()
    }

    fn save_state(&mut self) -> Option<Vec<u8>> {
        let ext = self.state_ext();
        let mut out = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut out).ok()?;
        Some(out)
    }

    fn load_state(&mut self, bytes: &[u8], chunk: usize) -> bool {
        let ext = self.state_ext();
        let mut reader = ChunkedReader {
            data: bytes,
            chunk: chunk.max(1),
        };
        let ok = ext
            .load(&self.instance.plugin_handle(), &mut reader)
            .is_ok();
        self.pump_main_thread();
        ok
    }

    fn partial_state_reads(&self) -> bool {
        true
    }

    fn activate(&mut self, sample_rate: f64, max_block: usize, channels: usize) -> bool {
        self.deactivate();
        self.channels = channels;
        self.config = (sample_rate, max_block);
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        self.instance
            .access_shared_handler(|h| h.in_activate.store(true, Ordering::SeqCst));
        let activated = self.instance.activate(|_, _| (), config);
        self.instance
            .access_shared_handler(|h| h.in_activate.store(false, Ordering::SeqCst));
        let Ok(stopped) = activated else {
            return false;
        };
        match stopped.start_processing() {
            Ok(started) => {
                self.processor = Some(started);
                self.pump_main_thread();
                true
            }
            Err(e) => {
                self.instance.deactivate(e.into_stopped_processor());
                false
            }
        }
    }

    fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop_processing());
        }
        self.flush_inactive();
        self.pump_main_thread();
    }

    fn activation(&self) -> (f64, usize, usize) {
        (self.config.0, self.config.1, self.channels)
    }

    fn latency(&mut self) -> u32 {
        self.pump_main_thread();
        let ext = self
            .instance
            .access_shared_handler(|h| *h.latency.get().expect("initialized"));
        match ext {
            Some(ext) => ext.get(&self.instance.plugin_handle()),
            None => 0,
        }
    }

    fn process(&mut self, inputs: &Planar, outputs: &mut Planar, sc: Option<&Planar>) -> bool {
        let Some(processor) = self.processor.as_mut() else {
            return false;
        };
        let mut events = EventBuffer::new();
        self.pending.sort_by_key(|e| e.header().time());
        for e in self.pending.drain(..) {
            events.push(&e);
        }
        let mut in_copy: Vec<Vec<f32>> = inputs.to_vec();
        // An inactive sidechain port is passed with no channels, as hosts do.
        let sc = sc.map(|s| if self.sidechain_active { s } else { &[] });
        let mut sc_copy: Vec<Vec<f32>> = sc.map(|s| s.to_vec()).unwrap_or_default();
        let mut in_ports = AudioPorts::with_capacity(in_copy.len() + sc_copy.len(), 2);
        let mut out_ports = AudioPorts::with_capacity(outputs.len(), 1);
        let mut ports: Vec<&mut Vec<Vec<f32>>> = vec![&mut in_copy];
        if sc.is_some() {
            ports.push(&mut sc_copy);
        }
        let input_audio =
            in_ports.with_input_buffers(ports.into_iter().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    port.iter_mut().map(InputChannel::variable),
                ),
            }));
        let mut output_audio = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                outputs.iter_mut().map(|b| b.as_mut_slice()),
            ),
        }]);
        let mut out_events = EventBuffer::new();
        self.instance
            .access_shared_handler(|h| h.in_process.store(true, Ordering::SeqCst));
        let result = processor.process(
            &input_audio,
            &mut output_audio,
            &InputEvents::from_buffer(&events),
            &mut OutputEvents::from_buffer(&mut out_events),
            None,
            None,
        );
        self.instance
            .access_shared_handler(|h| h.in_process.store(false, Ordering::SeqCst));
        self.last_status = result.as_ref().ok().copied();
        if !self.defer_callbacks {
            self.pump_main_thread();
        }
        result.is_ok()
    }

    fn reset(&mut self) {
        if let Some(p) = self.processor.as_mut() {
            p.reset();
        }
    }

    fn callback_violations(&mut self) -> Vec<String> {
        self.pump_main_thread();
        self.instance
            .access_shared_handler(|h| h.violations.lock().map(|v| v.clone()).unwrap_or_default())
    }

    fn restart_if_requested(&mut self) -> bool {
        if !self.take_restart_request() {
            return false;
        }
        self.reactivate();
        true
    }

    fn latency_notifications(&mut self) -> u32 {
        self.latency_changes()
    }

    fn defer_main_thread_callbacks(&mut self, on: bool) {
        self.defer_callbacks = on;
    }

    fn set_sidechain_active(&mut self, active: bool) -> bool {
        let ext = self
            .instance
            .access_shared_handler(|h| *h.audio_ports_activation.get().expect("initialized"));
        let Some(ext) = ext else {
            return false;
        };
        // Port 1 is the sidechain input. Like most hosts, switch it while inactive.
        let was_active = self.processor.is_some();
        self.deactivate();
        let ok = match self.instance.inactive_plugin_handle() {
            Some(mut handle) => {
                ext.set_active_audio_inactive(&mut handle, true, 1, active, SampleSize::Float32)
            }
            None => false,
        };
        if ok {
            self.sidechain_active = active;
        }
        if was_active {
            self.reactivate();
        }
        ok
    }
}

impl Drop for ClapTestHost {
    fn drop(&mut self) {
        self.deactivate();
    }
}

/// A reader that hands over at most `chunk` bytes per read, like hosts that stream state.
struct ChunkedReader<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for ChunkedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
