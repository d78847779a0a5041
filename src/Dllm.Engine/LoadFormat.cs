namespace Dllm;

/// <summary>How model weights are obtained (SGLang's <c>--load-format</c>).</summary>
public enum LoadFormat
{
    /// <summary>Safetensors when the directory has them, else an error.</summary>
    Auto,

    /// <summary>Read safetensors (single file or shards with an index).</summary>
    Safetensors,

    /// <summary>Random weights from config.json alone (speed tests); no safetensors are read.</summary>
    Dummy,
}
