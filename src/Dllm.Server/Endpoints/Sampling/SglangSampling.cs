using Dllm.Decoding;

namespace Dllm.Server.Endpoints.Sampling;

/// <summary>One <c>sampling_params</c> object of <c>/generate</c>: SGLang's sampling parameters and this engine's diffusion overrides.</summary>
/// <param name="Params">The sampling parameters, validated.</param>
/// <param name="Threshold"><c>threshold</c>: the confidence threshold for this request (null: the server's); the engine range-checks it.</param>
/// <param name="BlockSize"><c>block_size</c>: the block size for this request (null: the server's); the engine range-checks it.</param>
internal sealed record SglangSampling(SamplingParams Params, double? Threshold = null, int? BlockSize = null);
