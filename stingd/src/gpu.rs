//! NVIDIA GPUs, found through NVML at run time: the library is loaded if the driver installed it,
//! and its absence (every machine without a GPU) means CPU, never an error. Decides how many
//! layers `gpu_layers: auto` offloads.

use sting_models::GgufInfo;

/// What the supervisor needs to know of the GPUs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuMemory {
    pub devices: Vec<String>,
    /// Free VRAM on all devices together, in bytes.
    pub free: u64,
}

/// The GPUs NVML reports, or `None` when there is no driver or no device.
pub fn detect() -> Option<GpuMemory> {
    let nvml = nvml_wrapper::Nvml::init().ok()?;
    let count = nvml.device_count().ok()?;
    let mut devices = Vec::new();
    let mut free = 0;
    for index in 0..count {
        let Ok(device) = nvml.device_by_index(index) else { continue };
        if let Ok(memory) = device.memory_info() {
            free += memory.free;
            devices.push(device.name().unwrap_or_else(|_| format!("GPU {index}")));
        }
    }
    (!devices.is_empty()).then_some(GpuMemory { devices, free })
}

/// Layers to offload for `gpu_layers: auto`: as many as fit in nine tenths of the free VRAM
/// after the KV cache for `context`, all of them (and the output layer) when the whole model
/// fits, none without a GPU.
pub fn auto_layers(gpu: Option<&GpuMemory>, model: &GgufInfo, context: u64) -> u32 {
    let Some(gpu) = gpu else { return 0 };
    let layers = model.block_count.unwrap_or(0);
    if layers == 0 {
        return 0;
    }
    let estimate = model.estimate_memory(context);
    let usable = (gpu.free / 10 * 9).saturating_sub(estimate.kv_cache + estimate.compute);
    let per_layer = (estimate.weights / layers).max(1);
    let fit = usable / per_layer;
    if fit > layers {
        (layers + 1) as u32 // every block and the output layer
    } else {
        fit as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(weights: u64, layers: u64) -> GgufInfo {
        GgufInfo {
            path: "m.gguf".into(),
            version: 3,
            architecture: "llama".into(),
            name: None,
            parameters: 0,
            quantization: "Q4_K_M".into(),
            context_length: Some(4096),
            block_count: Some(layers),
            embedding_length: Some(4096),
            head_count: Some(32),
            head_count_kv: Some(8),
            key_length: None,
            value_length: None,
            pooling_type: None,
            has_chat_template: true,
            tensor_count: 0,
            file_size: weights,
            tensor_bytes: weights,
        }
    }

    const GIB: u64 = 1 << 30;

    #[test]
    fn without_a_gpu_nothing_is_offloaded() {
        assert_eq!(auto_layers(None, &model(4 * GIB, 32), 4096), 0);
    }

    #[test]
    fn a_model_that_fits_goes_entirely_to_the_gpu() {
        let gpu = GpuMemory { devices: vec!["test".into()], free: 24 * GIB };
        assert_eq!(auto_layers(Some(&gpu), &model(4 * GIB, 32), 4096), 33);
    }

    #[test]
    fn a_model_too_large_is_split_by_the_layers_that_fit() {
        let gpu = GpuMemory { devices: vec!["test".into()], free: 4 * GIB };
        let layers = auto_layers(Some(&gpu), &model(8 * GIB, 32), 4096);
        // 3.6 GiB usable, less 512 MiB of KV cache and 883 MiB of buffers, at 256 MiB a layer.
        assert_eq!(layers, 8);
        let none = GpuMemory { devices: vec!["test".into()], free: 100 << 20 };
        assert_eq!(auto_layers(Some(&none), &model(8 * GIB, 32), 4096), 0);
    }

    #[test]
    fn detection_on_a_machine_without_nvidia_is_none_not_an_error() {
        // These machines have no NVIDIA driver: NVML cannot load, and that means CPU.
        if std::path::Path::new("/proc/driver/nvidia").exists() {
            assert!(detect().is_some());
        } else {
            assert_eq!(detect(), None);
        }
    }
}
