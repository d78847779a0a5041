using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Dllm.Decoding;

namespace Dllm.Cli;

/// <summary>
/// <c>dllm serve</c>'s engine flags: one flag for every <see cref="DllmEngineOptions"/> property (SGLang's names where
/// SGLang has the flag), read into the options, and the flag that names each property in error messages. A flag left out
/// leaves the property at the default <see cref="DllmEngineOptions"/> states. One instance per command.
/// </summary>
internal sealed class EngineFlags
{
    private static readonly DllmEngineOptions Defaults = new() { ModelPath = "" };

    private readonly List<(Option Option, string Property, Action<ParseResult, DllmEngineOptions> Apply)> _flags = [];

    /// <summary>Creates the flags.</summary>
    public EngineFlags()
    {
        Add(new Option<string?>("--model-path") { Description = "A local Hugging Face model directory (config.json, *.safetensors, tokenizer.json). Models are not downloaded. Without it, the small built-in demo model (trained by dllm train) is served." },
            nameof(DllmEngineOptions.ModelPath), (o, v) => o.ModelPath = v ?? "");
        Add(new Option<LoadFormat>("--load-format") { Description = "auto, safetensors, or dummy (random weights from config.json, for speed tests).", CustomParser = ParseLoadFormat },
            nameof(DllmEngineOptions.LoadFormat), (o, v) => o.LoadFormat = v);
        Add(new Option<string>("--dllm-algorithm") { Description = $"The diffusion decoding algorithm: {string.Join(", ", DiffusionAlgorithms.Names)} (default {Defaults.Algorithm})." },
            nameof(DllmEngineOptions.Algorithm), (o, v) => o.Algorithm = DiffusionAlgorithms.Names.FirstOrDefault(n => string.Equals(n, v, StringComparison.OrdinalIgnoreCase)) ?? v);
        Add(new Option<string?>("--dllm-algorithm-config") { Description = "A YAML file with the algorithm's settings (threshold, block_size, ...)." },
            nameof(DllmEngineOptions.AlgorithmConfigPath), (o, v) => o.AlgorithmConfigPath = v);
        var algorithmOption = new Option<string[]>("--dllm-algorithm-option") { Description = "One algorithm setting as KEY=VALUE (e.g. threshold=0.9), on top of the YAML file's; repeat it for several." };
        algorithmOption.Validators.Add(CheckSettings);
        Add(algorithmOption, nameof(DllmEngineOptions.AlgorithmSettings), (o, v) => o.AlgorithmSettings = ParseSettings(v));
        Add(new Option<int?>("--max-running-requests") { Description = $"Requests decoded together at most; the rest wait (default {Defaults.MaxRunningRequests}). A limit: the K/V pool (--max-total-tokens) decides how many fit." },
            nameof(DllmEngineOptions.MaxRunningRequests), (o, v) => o.MaxRunningRequests = v!.Value);
        Add(new Option<int?>("--max-queued-requests") { Description = $"Requests that may wait for a slot; beyond it a request gets 503 with Retry-After (default {Defaults.MaxQueuedRequests})." },
            nameof(DllmEngineOptions.MaxQueuedRequests), (o, v) => o.MaxQueuedRequests = v);
        Add(new Option<int?>("--max-prefill-tokens") { Description = $"New tokens one prefill forward computes at most: prompts admitted together share a forward up to this many (default {Defaults.MaxPrefillTokens}); a longer one is prefilled alone." },
            nameof(DllmEngineOptions.MaxPrefillTokens), (o, v) => o.MaxPrefillTokens = v!.Value);
        Add(new Option<int?>("--context-length") { Description = "Longest prompt + generation per request (default: the model's, at most 8192)." },
            nameof(DllmEngineOptions.ContextLength), (o, v) => o.ContextLength = v);
        Add(new Option<int?>("--max-total-tokens") { Description = "Tokens the paged K/V pool holds (pages of the block size); requests wait for pages, one larger than the pool is refused (default: --mem-fraction-static on CUDA when given, else max-running-requests x context-length)." },
            nameof(DllmEngineOptions.MaxTotalTokens), (o, v) => o.MaxTotalTokens = v);
        Add(new Option<double?>("--mem-fraction-static") { Description = "Fraction of each GPU's memory for weights + the K/V pool (0-1, CUDA only; the pool takes what is free after loading less the rest)." },
            nameof(DllmEngineOptions.MemFractionStatic), (o, v) => o.MemFractionStatic = v);
        Add(new Option<bool>("--disable-radix-cache") { Description = "Turn the prefix cache off: every request prefills its whole prompt." },
            nameof(DllmEngineOptions.DisableRadixCache), (o, v) => o.DisableRadixCache = v);
        Add(CommonOptions.Device(), nameof(DllmEngineOptions.Device), (o, v) => o.Device = v);
        Add(new Option<int?>("--gpus") { Description = "Split the model's layers over this many GPUs (cuda:0..N-1), balanced by weight bytes." },
            nameof(DllmEngineOptions.Gpus), (o, v) => o.Gpus = v);
        Add(new Option<string?>("--device-map") { Description = "An explicit layer split, e.g. 0-15:cuda:0,16-31:cuda:1 (wins over --gpus). See 'dllm plan'." },
            nameof(DllmEngineOptions.DeviceMap), (o, v) => o.DeviceMap = v);
        Add(new Option<string>("--dtype") { Description = $"auto (bfloat16 on CUDA, float32 on CPU), bfloat16, float16 or float32 (default {Defaults.DType})." },
            nameof(DllmEngineOptions.DType), (o, v) => o.DType = v);
        Add(new Option<int?>("--cpu-threads") { Description = "libtorch's intra-op CPU threads (default: physical cores, at most the CPUs this process may use). Fewer leave room for other processes on a shared machine; OpenMP's threads wait passively (OMP_WAIT_POLICY=PASSIVE unless set)." },
            nameof(DllmEngineOptions.CpuThreads), (o, v) => o.CpuThreads = v);
        Add(CommonOptions.LibTorchDir(), nameof(DllmEngineOptions.LibTorchDirectory), (o, v) => o.LibTorchDirectory = v);
        Add(new Option<long>("--dummy-seed") { Description = $"Seed of the random weights of --load-format dummy (default {Defaults.DummySeed})." },
            nameof(DllmEngineOptions.DummySeed), (o, v) => o.DummySeed = v);
        Add(new Option<double>("--dummy-logit-sharpness") { Description = $"Scale of the dummy model's final norm: 1 a random model, 100 a peaked one (default {Defaults.DummyLogitSharpness.ToString(CultureInfo.InvariantCulture)})." },
            nameof(DllmEngineOptions.DummyLogitSharpness), (o, v) => o.DummyLogitSharpness = v);
        Add(new Option<bool>("--disable-fused-clean-pass") { Description = "Store resolved blocks' K/V in a separate forward instead of fusing it with the next step." },
            nameof(DllmEngineOptions.FuseCleanPass), (o, v) => o.FuseCleanPass = !v);
        Add(new Option<bool>("--disable-cuda-graph") { Description = "Run denoising steps op by op instead of replaying CUDA graphs (graphs need libdllm_cuda.so next to the app)." },
            nameof(DllmEngineOptions.CudaGraphs), (o, v) => o.CudaGraphs = !v);
        Add(new Option<int[]>("--cuda-graph-bs") { Description = "The batch sizes steps are captured in CUDA graphs for, e.g. --cuda-graph-bs 1 2 4 8 16 (default every size to 8, then 12, 16, 24, 32, ... up to --cuda-graph-max-bs); a batch between two replays the larger one's graph with padding rows.", AllowMultipleArgumentsPerToken = true },
            nameof(DllmEngineOptions.CudaGraphBatchSizes), (o, v) => o.CudaGraphBatchSizes = v);
        Add(new Option<int?>("--cuda-graph-max-bs") { Description = "The largest batch replayed from a CUDA graph; larger ones run op by op (default --max-running-requests)." },
            nameof(DllmEngineOptions.CudaGraphMaxBatchSize), (o, v) => o.CudaGraphMaxBatchSize = v);
        Add(new Option<bool>("--disable-cuda-graph-padding") { Description = "Run a batch whose size is not in --cuda-graph-bs op by op instead of padding it to the next size's graph." },
            nameof(DllmEngineOptions.CudaGraphPadding), (o, v) => o.CudaGraphPadding = !v);
        Add(new Option<string?>("--served-model-name") { Description = "The model name reported to clients (default: the model directory's name)." },
            nameof(DllmEngineOptions.ServedModelName), (o, v) => o.ServedModelName = v);
    }

    /// <summary>The flags, to add to the command.</summary>
    public IEnumerable<Option> All => _flags.Select(f => f.Option);

    /// <summary>The properties each flag sets (a test checks that every property has one).</summary>
    public IReadOnlyDictionary<string, string> FlagOfProperty => _flags.ToDictionary(f => f.Property, f => f.Option.Name, StringComparer.Ordinal);

    /// <summary>How <c>dllm serve</c> names a property in messages: its flag.</summary>
    public string NameOf(string property) => _flags.FirstOrDefault(f => f.Property == property).Option?.Name ?? property;

    /// <summary>The engine options the command line gives: every flag it sets, the defaults for the others; no model path: empty.</summary>
    public DllmEngineOptions Read(ParseResult parse)
    {
        var options = Defaults with { AlgorithmSettings = new Dictionary<string, double>(StringComparer.Ordinal) };
        foreach (var flag in _flags)
            flag.Apply(parse, options);
        return options;
    }

    private void Add<T>(Option<T> option, string property, Action<DllmEngineOptions, T> set) =>
        _flags.Add((option, property, (parse, options) =>
        {
            if (parse.GetResult(option) is { Implicit: false })
                set(options, parse.GetValue(option)!);
        }));

    /// <summary><c>auto</c>, <c>safetensors</c> or <c>dummy</c> in any case; anything else is a parse error naming the flag.</summary>
    private static LoadFormat ParseLoadFormat(ArgumentResult result)
    {
        string value = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (Enum.TryParse<LoadFormat>(value, ignoreCase: true, out var format) && Enum.IsDefined(format) && !int.TryParse(value, out _))
            return format;
        result.AddError($"--load-format '{value}' is not one of: auto, safetensors, dummy.");
        return LoadFormat.Auto;
    }

    private static void CheckSettings(OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (ParseSetting(token.Value) is null)
                result.AddError($"--dllm-algorithm-option '{token.Value}' is not KEY=VALUE with a number (e.g. threshold=0.9).");
        }
    }

    private static Dictionary<string, double> ParseSettings(string[] items) =>
        items.Select(i => ParseSetting(i)!.Value).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    private static KeyValuePair<string, double>? ParseSetting(string item)
    {
        int equals = item.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && double.TryParse(item.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? new(item[..equals].Trim(), value)
            : null;
    }
}
