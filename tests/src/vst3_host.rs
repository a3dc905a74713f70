//! A minimal but real VST3 host over the COM interfaces (`vst3` crate): factory and class info,
//! IComponent/IAudioProcessor/IEditController, bus arrangements (mono, stereo, sidechain),
//! processing with raw bus buffers (in place and out of place), state through an `IBStream`
//! implemented here, and parameters through the edit controller.

#![allow(non_snake_case)]

use crate::{Descriptor, ParamInfo, Planar, TestHost};
use std::cell::RefCell;
use std::ffi::{c_char, c_void};
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use vst3::Steinberg::Linux::{
    FileDescriptor, IEventHandler, IRunLoop, IRunLoopTrait, ITimerHandler, TimerInterval,
};
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusDirections_, IAudioProcessor, IAudioProcessorTrait,
    IComponent, IComponentHandler, IComponentHandlerTrait, IComponentTrait, IEditController,
    IEditControllerTrait, IParamValueQueue, IParamValueQueueTrait, IParameterChanges,
    IParameterChangesTrait, MediaTypes_, ParamID, ParamValue, ParameterInfo,
    ParameterInfo_::ParameterFlags_, ProcessData, ProcessModes_, ProcessSetup, RestartFlags_,
    SpeakerArr, SpeakerArrangement, SymbolicSampleSizes_, TChar,
};
use vst3::Steinberg::{
    FUnknown, IBStream, IBStream_::IStreamSeekMode_, IBStreamTrait, IPluginBaseTrait,
    IPluginFactory, IPluginFactory2, IPluginFactory2Trait, IPluginFactoryTrait, PClassInfo,
    PClassInfo2, int32, int64, kInvalidArgument, kResultFalse, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper};

/// An in-memory `IBStream` that hands over at most `chunk` bytes per read.
pub struct MemoryStream {
    data: RefCell<Vec<u8>>,
    pos: RefCell<usize>,
    chunk: usize,
}

impl MemoryStream {
    fn new(data: Vec<u8>, chunk: usize) -> Self {
        Self {
            data: RefCell::new(data),
            pos: RefCell::new(0),
            chunk: chunk.max(1),
        }
    }
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(
        &self,
        buffer: *mut c_void,
        numBytes: int32,
        numBytesRead: *mut int32,
    ) -> tresult {
        if buffer.is_null() || numBytes < 0 {
            return kInvalidArgument;
        }
        let data = self.data.borrow();
        let mut pos = self.pos.borrow_mut();
        let n = (numBytes as usize).min(self.chunk).min(data.len() - *pos);
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr().add(*pos), buffer as *mut u8, n);
            if !numBytesRead.is_null() {
                *numBytesRead = n as int32;
            }
        }
        *pos += n;
        kResultOk
    }

    unsafe fn write(
        &self,
        buffer: *mut c_void,
        numBytes: int32,
        numBytesWritten: *mut int32,
    ) -> tresult {
        if buffer.is_null() || numBytes < 0 {
            return kInvalidArgument;
        }
        let mut data = self.data.borrow_mut();
        let mut pos = self.pos.borrow_mut();
        let bytes = unsafe { std::slice::from_raw_parts(buffer as *const u8, numBytes as usize) };
        let end = *pos + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[*pos..end].copy_from_slice(bytes);
        *pos = end;
        if !numBytesWritten.is_null() {
            unsafe { *numBytesWritten = numBytes };
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let len = self.data.borrow().len() as i64;
        let mut p = self.pos.borrow_mut();
        let new = match mode as u32 {
            IStreamSeekMode_::kIBSeekSet => pos,
            IStreamSeekMode_::kIBSeekCur => *p as i64 + pos,
            IStreamSeekMode_::kIBSeekEnd => len + pos,
            _ => return kInvalidArgument,
        };
        if new < 0 {
            return kResultFalse;
        }
        *p = (new as usize).min(len as usize);
        if !result.is_null() {
            unsafe { *result = *p as i64 };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        unsafe { *pos = *self.pos.borrow() as i64 };
        kResultOk
    }
}

/// What the host's `IComponentHandler` saw, shared with the plugin's threads.
#[derive(Default)]
pub struct HandlerLog {
    /// Restart flags received and not yet acted on.
    pending_restart: AtomicI32,
    /// Number of `restartComponent(kLatencyChanged)` calls.
    latency_restarts: AtomicU32,
    /// Whether a `process` call is running.
    in_process: AtomicBool,
    /// The thread the host runs `process` on, while it processes on its own audio thread.
    audio_thread: Mutex<Option<ThreadId>>,
    /// The host's main (UI) thread.
    main_thread: Mutex<Option<ThreadId>>,
    /// Calls that broke a rule of the VST3 API: `restartComponent` from the audio thread, from
    /// inside `process`, or from any thread but the host's UI thread.
    violations: Mutex<Vec<String>>,
}

/// The host's `IComponentHandler`: edits are accepted and ignored, restarts are recorded with
/// the thread they came from.
struct ComponentHandler {
    log: Arc<HandlerLog>,
}

impl Class for ComponentHandler {
    type Interfaces = (IComponentHandler,);
}

impl IComponentHandlerTrait for ComponentHandler {
    unsafe fn beginEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn performEdit(&self, _id: ParamID, _value: ParamValue) -> tresult {
        kResultOk
    }
    unsafe fn endEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn restartComponent(&self, flags: int32) -> tresult {
        let log = &self.log;
        let thread = std::thread::current().id();
        let audio = *log.audio_thread.lock().unwrap_or_else(|e| e.into_inner());
        let mut problems = Vec::new();
        if audio == Some(thread) {
            problems.push(format!(
                "restartComponent({flags:#x}) called from the audio thread"
            ));
        }
        if log.in_process.load(Ordering::SeqCst) && audio != Some(thread) {
            problems.push(format!(
                "restartComponent({flags:#x}) called from inside process()"
            ));
        }
        let main = *log.main_thread.lock().unwrap_or_else(|e| e.into_inner());
        if main.is_some() && main != Some(thread) && audio != Some(thread) {
            problems.push(format!(
                "restartComponent({flags:#x}) called from thread {thread:?}, not the host's UI \
                 thread (the host offers its IRunLoop)"
            ));
        }
        log.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(problems);
        if flags & RestartFlags_::kLatencyChanged != 0 {
            log.latency_restarts.fetch_add(1, Ordering::SeqCst);
        }
        log.pending_restart.fetch_or(flags, Ordering::SeqCst);
        kResultOk
    }
}

/// The host's Linux run loop, offered to the plugin as the context of `initialize()`: event
/// handlers the plugin registers are called on the host's main thread whenever the host pumps
/// its loop (here: while it waits for a restart, and after every process call).
#[derive(Default)]
struct RunLoop {
    handlers: Mutex<Vec<(usize, FileDescriptor)>>,
}

impl Class for RunLoop {
    type Interfaces = (IRunLoop,);
}

impl IRunLoopTrait for RunLoop {
    unsafe fn registerEventHandler(
        &self,
        handler: *mut IEventHandler,
        fd: FileDescriptor,
    ) -> tresult {
        if handler.is_null() {
            return kInvalidArgument;
        }
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((handler as usize, fd));
        kResultOk
    }
    unsafe fn unregisterEventHandler(&self, handler: *mut IEventHandler) -> tresult {
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&(h, _)| h != handler as usize);
        kResultOk
    }
    unsafe fn registerTimer(&self, _handler: *mut ITimerHandler, _ms: TimerInterval) -> tresult {
        kResultOk
    }
    unsafe fn unregisterTimer(&self, _handler: *mut ITimerHandler) -> tresult {
        kResultOk
    }
}

impl RunLoop {
    /// Calls every registered handler, as a host does when their descriptors are readable (a
    /// handler with nothing to do just returns).
    fn pump(&self) {
        let handlers = self
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (handler, fd) in handlers {
            // SAFETY: registered and not yet unregistered, so the plugin keeps it alive.
            unsafe {
                let handler = handler as *mut IEventHandler;
                ((*(*handler).vtbl).onFDIsSet)(handler, fd);
            }
        }
    }
}

/// Raw pointers handed to the audio thread for one process call.
struct SendPtr<T>(T);
// SAFETY: the host thread waits for the audio thread before it touches the pointees again.
unsafe impl<T> Send for SendPtr<T> {}

/// One parameter's automation points for a block.
struct ParamQueue {
    id: ParamID,
    points: Vec<(i32, f64)>,
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }
    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }
    unsafe fn getPoint(
        &self,
        index: int32,
        sampleOffset: *mut int32,
        value: *mut ParamValue,
    ) -> tresult {
        match self.points.get(index as usize) {
            Some(&(offset, v)) if !sampleOffset.is_null() && !value.is_null() => {
                unsafe {
                    *sampleOffset = offset;
                    *value = v;
                }
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }
    unsafe fn addPoint(
        &self,
        _sampleOffset: int32,
        _value: ParamValue,
        _index: *mut int32,
    ) -> tresult {
        kResultFalse
    }
}

/// The parameter changes a host sends with one process call.
struct ParamChanges {
    queues: Vec<ComWrapper<ParamQueue>>,
}

impl Class for ParamChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParamChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }
    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        self.queues
            .get(index as usize)
            .and_then(|q| q.as_com_ref::<IParamValueQueue>())
            .map_or(ptr::null_mut(), |r| r.as_ptr())
    }
    unsafe fn addParameterData(
        &self,
        _id: *const ParamID,
        _index: *mut int32,
    ) -> *mut IParamValueQueue {
        ptr::null_mut()
    }
}

fn utf16_to_string(s: &[TChar]) -> String {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf16_lossy(&s[..end])
}

fn cstr_field(s: &[c_char]) -> String {
    let bytes: Vec<u8> = s
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One plugin instance loaded from a `.vst3` bundle's shared library.
pub struct Vst3TestHost {
    descriptor: Descriptor,
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    active: bool,
    pending: Vec<(ParamID, f64, i32)>,
    channels: usize,
    has_sidechain: bool,
    /// Whether the sidechain bus is active (`activateBus`); hosts pass an inactive bus with no
    /// channels.
    sidechain_active: bool,
    /// The last activation's sample rate and maximum block, for restarts.
    config: (f64, usize),
    /// Whether `process` runs on a separate audio thread, as in a real host.
    use_audio_thread: bool,
    log: Arc<HandlerLog>,
    run_loop: ComWrapper<RunLoop>,
    _handler: ComWrapper<ComponentHandler>,
    _factory: ComPtr<IPluginFactory>,
    _library: libloading::Library,
}

impl Vst3TestHost {
    /// A new editor view from the plugin's controller (`IEditController::createView`).
    pub fn create_view(&self) -> Option<ComPtr<vst3::Steinberg::IPlugView>> {
        // SAFETY: the controller is alive; the view is released when the pointer drops.
        unsafe {
            ComPtr::from_raw(
                self.controller
                    .createView(vst3::Steinberg::Vst::ViewType::kEditor),
            )
        }
    }

    /// The plugin `p` from its built `.vst3` bundle.
    pub fn for_plugin(p: &crate::Expected) -> Self {
        Self::load(&crate::vst3_path(p), p.vst3_cid)
    }

    /// Loads the module, reads the class info and instantiates the plugin's audio module class.
    pub fn load(path: &Path, cid: [u8; 16]) -> Self {
        // SAFETY: the bundle is one of ours, built from this workspace.
        unsafe {
            let library = libloading::Library::new(path).expect("load VST3 module");
            if let Ok(entry) =
                library.get::<unsafe extern "system" fn(*mut c_void) -> bool>(b"ModuleEntry")
            {
                assert!(entry(ptr::null_mut()), "ModuleEntry failed");
            }
            let get_factory = library
                .get::<unsafe extern "system" fn() -> *mut IPluginFactory>(b"GetPluginFactory")
                .expect("GetPluginFactory");
            let factory = ComPtr::from_raw(get_factory()).expect("factory");

            let count = factory.countClasses();
            assert_eq!(count, 1, "one class per module");
            let mut info: PClassInfo = std::mem::zeroed();
            assert_eq!(factory.getClassInfo(0, &mut info), kResultOk);
            let class_cid: [u8; 16] = std::mem::transmute(info.cid);
            assert_eq!(class_cid, cid, "class id");
            assert_eq!(cstr_field(&info.category), "Audio Module Class");

            let factory2 = factory.cast::<IPluginFactory2>().expect("IPluginFactory2");
            let mut info2: PClassInfo2 = std::mem::zeroed();
            assert_eq!(factory2.getClassInfo2(0, &mut info2), kResultOk);
            let descriptor = Descriptor {
                id: String::from_utf8_lossy(&class_cid).into_owned(),
                name: cstr_field(&info2.name),
                vendor: cstr_field(&info2.vendor),
                version: cstr_field(&info2.version),
                features: cstr_field(&info2.subCategories)
                    .split('|')
                    .map(str::to_owned)
                    .collect(),
            };

            let mut obj: *mut c_void = ptr::null_mut();
            let iid: [c_char; 16] = std::mem::transmute(<IComponent as vst3::Interface>::IID);
            let cid_c: [c_char; 16] = std::mem::transmute(cid);
            assert_eq!(
                factory.createInstance(cid_c.as_ptr(), iid.as_ptr(), &mut obj),
                kResultOk,
                "createInstance"
            );
            let component = ComPtr::from_raw(obj as *mut IComponent).expect("component");
            let run_loop = ComWrapper::new(RunLoop::default());
            let context = run_loop
                .as_com_ref::<IRunLoop>()
                .map_or(ptr::null_mut(), |r| r.as_ptr() as *mut FUnknown);
            assert_eq!(component.initialize(context), kResultOk);
            let processor = component
                .cast::<IAudioProcessor>()
                .expect("IAudioProcessor");
            let controller = component
                .cast::<IEditController>()
                .expect("single-component IEditController");
            let has_sidechain = component
                .getBusCount(MediaTypes_::kAudio as i32, BusDirections_::kInput as i32)
                > 1;
            let log = Arc::new(HandlerLog::default());
            *log.main_thread.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(std::thread::current().id());
            let handler = ComWrapper::new(ComponentHandler { log: log.clone() });
            let handler_ptr = handler
                .as_com_ref::<IComponentHandler>()
                .map_or(ptr::null_mut(), |r| r.as_ptr());
            assert_eq!(controller.setComponentHandler(handler_ptr), kResultOk);
            Self {
                descriptor,
                component,
                processor,
                controller,
                active: false,
                pending: Vec::new(),
                channels: 2,
                has_sidechain,
                sidechain_active: true,
                config: (48_000.0, 512),
                use_audio_thread: false,
                log,
                run_loop,
                _handler: handler,
                _factory: factory,
                _library: library,
            }
        }
    }

    /// Whether the plugin accepts a main layout with `channels` channels (1 or 2).
    pub fn set_layout(&mut self, channels: usize) -> bool {
        let arr: SpeakerArrangement = if channels == 1 {
            SpeakerArr::kMono
        } else {
            SpeakerArr::kStereo
        };
        let mut inputs = vec![arr];
        if self.has_sidechain {
            inputs.push(SpeakerArr::kStereo);
        }
        let mut outputs = vec![arr];
        unsafe {
            self.processor.setBusArrangements(
                inputs.as_mut_ptr(),
                inputs.len() as i32,
                outputs.as_mut_ptr(),
                outputs.len() as i32,
            ) == kResultOk
        }
    }

    /// Processes in place: the same buffers serve as input and output.
    pub fn process_in_place(&mut self, buffers: &mut [Vec<f32>]) -> bool {
        let n = buffers.first().map_or(0, |b| b.len());
        let mut ptrs: Vec<*mut f32> = buffers.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut sc: Vec<Vec<f32>> = vec![vec![0.0; n]; 2];
        let mut sc_ptrs: Vec<*mut f32> = sc.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut out_ptrs = ptrs.clone();
        self.raw_process(n, &mut ptrs, &mut sc_ptrs, &mut out_ptrs)
    }

    fn raw_process(
        &mut self,
        n: usize,
        ins: &mut [*mut f32],
        sc: &mut [*mut f32],
        outs: &mut [*mut f32],
    ) -> bool {
        let mut input_buses = vec![AudioBusBuffers {
            numChannels: ins.len() as i32,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: ins.as_mut_ptr(),
            },
        }];
        if self.has_sidechain {
            // An inactive bus comes with no channels, as hosts pass it.
            let sc_channels = if self.sidechain_active { sc.len() } else { 0 };
            input_buses.push(AudioBusBuffers {
                numChannels: sc_channels as i32,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 {
                    channelBuffers32: sc.as_mut_ptr(),
                },
            });
        }
        let mut output_buses = [AudioBusBuffers {
            numChannels: outs.len() as i32,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: outs.as_mut_ptr(),
            },
        }];
        let mut queues: Vec<ParamQueue> = Vec::new();
        for (id, v, offset) in self.pending.drain(..) {
            match queues.iter_mut().find(|q| q.id == id) {
                Some(q) => q.points.push((offset, v)),
                None => queues.push(ParamQueue {
                    id,
                    points: vec![(offset, v)],
                }),
            }
        }
        for q in &mut queues {
            q.points.sort_by_key(|p| p.0);
        }
        let changes = ComWrapper::new(ParamChanges {
            queues: queues.into_iter().map(ComWrapper::new).collect(),
        });
        let changes_ptr = changes
            .as_com_ref::<IParameterChanges>()
            .map_or(ptr::null_mut(), |r| r.as_ptr());
        let mut data = ProcessData {
            processMode: ProcessModes_::kRealtime as i32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
            numSamples: n as i32,
            numInputs: input_buses.len() as i32,
            numOutputs: 1,
            inputs: input_buses.as_mut_ptr(),
            outputs: output_buses.as_mut_ptr(),
            inputParameterChanges: changes_ptr,
            outputParameterChanges: ptr::null_mut(),
            inputEvents: ptr::null_mut(),
            outputEvents: ptr::null_mut(),
            processContext: ptr::null_mut(),
        };
        let log = self.log.clone();
        log.in_process.store(true, Ordering::SeqCst);
        let ok = if self.use_audio_thread {
            let processor = SendPtr(self.processor.as_ptr());
            let data_ptr = SendPtr(&mut data as *mut ProcessData);
            std::thread::scope(|scope| {
                let log = log.clone();
                scope
                    .spawn(move || {
                        let (processor, data_ptr) = (processor, data_ptr);
                        *log.audio_thread.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(std::thread::current().id());
                        // SAFETY: the processor and the buffers outlive this scoped thread.
                        unsafe {
                            let processor = vst3::ComRef::from_raw(processor.0).expect("processor");
                            processor.process(data_ptr.0) == kResultOk
                        }
                    })
                    .join()
                    .expect("audio thread")
            })
        } else {
            unsafe { self.processor.process(&mut data) == kResultOk }
        };
        log.in_process.store(false, Ordering::SeqCst);
        self.run_loop.pump();
        ok
    }

    fn to_host_id(&self, index: i32) -> ParameterInfo {
        unsafe {
            let mut info: ParameterInfo = std::mem::zeroed();
            assert_eq!(
                self.controller.getParameterInfo(index, &mut info),
                kResultOk
            );
            info
        }
    }
}

impl TestHost for Vst3TestHost {
    fn descriptor(&self) -> Descriptor {
        self.descriptor.clone()
    }

    fn params(&mut self) -> Vec<ParamInfo> {
        let count = unsafe { self.controller.getParameterCount() };
        (0..count)
            .map(|i| {
                let info = self.to_host_id(i);
                ParamInfo {
                    id: info.id,
                    name: utf16_to_string(&info.title),
                    min: 0.0,
                    max: 1.0,
                    default: info.defaultNormalizedValue,
                    step: (info.stepCount > 0).then(|| 1.0 / info.stepCount as f64),
                    is_bypass: info.flags & ParameterFlags_::kIsBypass != 0,
                    is_list: info.flags & ParameterFlags_::kIsList != 0,
                }
            })
            .collect()
    }

    fn param_info_exists(&mut self, index: usize) -> bool {
        let mut info: ParameterInfo = unsafe { std::mem::zeroed() };
        unsafe { self.controller.getParameterInfo(index as i32, &mut info) == kResultOk }
    }

    fn set_param(&mut self, id: u32, value: f64) {
        // Like a real host: the controller learns the value at once; while processing, the
        // processor gets it through the next process call's parameter changes.
        unsafe {
            self.controller.setParamNormalized(id, value);
        }
        if self.active {
            self.pending.push((id, value, 0));
        }
    }

    fn set_param_at(&mut self, id: u32, value: f64, offset: u32) {
        self.pending.push((id, value, offset as i32));
    }

    fn get_param(&mut self, id: u32) -> f64 {
        unsafe { self.controller.getParamNormalized(id) }
    }

    fn value_to_text(&mut self, id: u32, value: f64) -> Option<String> {
        let mut s: [TChar; 128] = [0; 128];
        let r = unsafe { self.controller.getParamStringByValue(id, value, &mut s) };
        (r == kResultOk).then(|| utf16_to_string(&s))
    }

    fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64> {
        let mut wide: Vec<TChar> = text.encode_utf16().map(|c| c as TChar).collect();
        wide.push(0);
        let mut value = 0.0;
        let r = unsafe {
            self.controller
                .getParamValueByString(id, wide.as_mut_ptr(), &mut value)
        };
        (r == kResultOk).then_some(value)
    }

    fn editor_geometry(&mut self) -> Option<((u32, u32), bool)> {
        use vst3::Steinberg::{IPlugViewTrait, ViewRect};
        let view = self.create_view()?;
        // SAFETY: a view made by the plugin's own controller, released when `view` drops.
        unsafe {
            let mut rect = ViewRect {
                left: 0,
                top: 0,
                right: 0,
                bottom: 0,
            };
            if view.getSize(&mut rect) != kResultOk {
                return None;
            }
            let size = (
                (rect.right - rect.left) as u32,
                (rect.bottom - rect.top) as u32,
            );
            Some((size, view.canResize() == vst3::Steinberg::kResultTrue))
        }
    }

    fn save_state(&mut self) -> Option<Vec<u8>> {
        let stream = ComWrapper::new(MemoryStream::new(Vec::new(), usize::MAX));
        let ptr = stream.to_com_ptr::<IBStream>()?;
        let r = unsafe { self.component.getState(ptr.as_ptr()) };
        (r == kResultOk).then(|| stream.data.borrow().clone())
    }

    fn load_state(&mut self, bytes: &[u8], chunk: usize) -> bool {
        let stream = ComWrapper::new(MemoryStream::new(bytes.to_vec(), chunk));
        let Some(ptr) = stream.to_com_ptr::<IBStream>() else {
            return false;
        };
        unsafe { self.component.setState(ptr.as_ptr()) == kResultOk }
    }

    fn activate(&mut self, sample_rate: f64, max_block: usize, channels: usize) -> bool {
        self.deactivate();
        self.channels = channels;
        self.config = (sample_rate, max_block);
        if !self.set_layout(channels) {
            return false;
        }
        let mut setup = ProcessSetup {
            processMode: ProcessModes_::kRealtime as i32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
            maxSamplesPerBlock: max_block as i32,
            sampleRate: sample_rate,
        };
        unsafe {
            if self.processor.setupProcessing(&mut setup) != kResultOk {
                return false;
            }
            if self.has_sidechain {
                self.component.activateBus(
                    MediaTypes_::kAudio as i32,
                    BusDirections_::kInput as i32,
                    1,
                    self.sidechain_active as u8,
                );
            }
            if self.component.setActive(1) != kResultOk {
                return false;
            }
            self.processor.setProcessing(1);
        }
        self.active = true;
        true
    }

    fn deactivate(&mut self) {
        if self.active {
            unsafe {
                self.processor.setProcessing(0);
                self.component.setActive(0);
            }
            self.active = false;
        }
    }

    fn activation(&self) -> (f64, usize, usize) {
        (self.config.0, self.config.1, self.channels)
    }

    fn latency(&mut self) -> u32 {
        unsafe { self.processor.getLatencySamples() }
    }

    fn process(&mut self, inputs: &Planar, outputs: &mut Planar, sc: Option<&Planar>) -> bool {
        let n = inputs.first().map_or(0, |b| b.len());
        let mut in_copy: Vec<Vec<f32>> = inputs.to_vec();
        let mut sc_copy: Vec<Vec<f32>> = sc
            .map(|s| s.to_vec())
            .unwrap_or_else(|| vec![vec![0.0; n]; 2]);
        let mut ins: Vec<*mut f32> = in_copy.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut sc: Vec<*mut f32> = sc_copy.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut outs: Vec<*mut f32> = outputs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let ok = self.raw_process(n, &mut ins, &mut sc, &mut outs);
        // Out-of-place processing must leave the inputs untouched (bitwise, so NaN input counts).
        let bits =
            |b: &[Vec<f32>]| -> Vec<u32> { b.iter().flatten().map(|x| x.to_bits()).collect() };
        assert_eq!(
            bits(&in_copy),
            bits(inputs),
            "{}: input buffers modified",
            self.descriptor.name
        );
        ok
    }

    fn reset(&mut self) {
        unsafe {
            self.processor.setProcessing(0);
            self.processor.setProcessing(1);
        }
    }

    fn callback_violations(&mut self) -> Vec<String> {
        self.log
            .violations
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    fn restart_if_requested(&mut self) -> bool {
        // The plugin may deliver the restart from another thread a moment later.
        let deadline = Instant::now() + Duration::from_secs(1);
        let flags = loop {
            self.run_loop.pump();
            let flags = self.log.pending_restart.swap(0, Ordering::SeqCst);
            if flags & RestartFlags_::kLatencyChanged != 0 || Instant::now() > deadline {
                break flags;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if flags & RestartFlags_::kLatencyChanged == 0 || !self.active {
            return false;
        }
        // What hosts do for kLatencyChanged: stop, deactivate, read the latency, reactivate.
        self.reactivate();
        true
    }

    fn latency_notifications(&mut self) -> u32 {
        self.log.latency_restarts.load(Ordering::SeqCst)
    }

    fn set_sidechain_active(&mut self, active: bool) -> bool {
        if !self.has_sidechain {
            return false;
        }
        let was_active = self.active;
        self.deactivate();
        self.sidechain_active = active;
        let ok = unsafe {
            self.component.activateBus(
                MediaTypes_::kAudio as i32,
                BusDirections_::kInput as i32,
                1,
                active as u8,
            ) == kResultOk
        };
        if was_active {
            self.reactivate();
        }
        ok
    }

    fn process_on_audio_thread(&mut self, on: bool) {
        self.use_audio_thread = on;
    }

    fn value_to_plain(&mut self, id: u32, value: f64) -> Option<f64> {
        Some(unsafe { self.controller.normalizedParamToPlain(id, value) })
    }

    fn plain_to_value(&mut self, id: u32, plain: f64) -> Option<f64> {
        Some(unsafe { self.controller.plainParamToNormalized(id, plain) })
    }
}

impl Drop for Vst3TestHost {
    fn drop(&mut self) {
        self.deactivate();
        unsafe {
            self.component.terminate();
        }
    }
}
