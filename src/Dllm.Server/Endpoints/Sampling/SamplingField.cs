using System.Text.Json;
using Dllm.Decoding;

namespace Dllm.Server.Endpoints.Sampling;

/// <summary>Applies one JSON field (at <c>path</c>) to sampling parameters.</summary>
internal delegate SamplingParams SamplingField(SamplingParams sampling, JsonElement value, string path);
