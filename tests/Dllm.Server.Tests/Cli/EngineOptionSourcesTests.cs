using System.CommandLine;
using System.Reflection;
using Dllm.AI.Hosting;
using Dllm.Cli;
using Dllm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Tests.Cli;

/// <summary>
/// One engine options type, three sources: every <see cref="DllmEngineOptions"/> property (found by reflection, so a new
/// one fails here until both sources carry it) is set by a <c>dllm serve</c> flag and by <c>AddDllmChatClient</c>'s
/// configuration to the same value, and the one validator accepts it.
/// </summary>
public sealed class EngineOptionSourcesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dllm-option-sources-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<PropertyInfo> Properties => typeof(DllmEngineOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.SetMethod is { IsPublic: true });

    /// <summary>A valid, non-default value for every property: as text (flag value, configuration value) and as set.</summary>
    private Dictionary<string, (string Text, object? Value)> Values()
    {
        string yaml = Path.Combine(_dir, "algorithm.yaml");
        File.WriteAllText(yaml, "threshold: 0.8\n");
        return new()
        {
            [nameof(DllmEngineOptions.ModelPath)] = (TinyModels.Random, TinyModels.Random),
            [nameof(DllmEngineOptions.LoadFormat)] = ("dummy", LoadFormat.Dummy),
            [nameof(DllmEngineOptions.Algorithm)] = ("JointThreshold", "JointThreshold"),
            [nameof(DllmEngineOptions.AlgorithmConfigPath)] = (yaml, yaml),
            [nameof(DllmEngineOptions.AlgorithmSettings)] = ("block_size=16", new Dictionary<string, double> { ["block_size"] = 16 }),
            [nameof(DllmEngineOptions.MaxRunningRequests)] = ("7", 7),
            [nameof(DllmEngineOptions.MaxQueuedRequests)] = ("9", 9),
            [nameof(DllmEngineOptions.MaxPrefillTokens)] = ("2048", 2048),
            [nameof(DllmEngineOptions.ContextLength)] = ("512", 512),
            [nameof(DllmEngineOptions.MaxTotalTokens)] = ("4096", 4096),
            [nameof(DllmEngineOptions.MemFractionStatic)] = ("0.8", 0.8),
            [nameof(DllmEngineOptions.DisableRadixCache)] = ("true", true),
            [nameof(DllmEngineOptions.Device)] = ("cpu", "cpu"),
            [nameof(DllmEngineOptions.Gpus)] = ("2", 2),
            [nameof(DllmEngineOptions.DeviceMap)] = ("0-2:cpu", "0-2:cpu"),
            [nameof(DllmEngineOptions.DType)] = ("float32", "float32"),
            [nameof(DllmEngineOptions.CpuThreads)] = ("2", 2),
            [nameof(DllmEngineOptions.LibTorchDirectory)] = (_dir, _dir),
            [nameof(DllmEngineOptions.DummySeed)] = ("99", 99L),
            [nameof(DllmEngineOptions.DummyLogitSharpness)] = ("2.5", 2.5),
            [nameof(DllmEngineOptions.FuseCleanPass)] = ("false", false),
            [nameof(DllmEngineOptions.CudaGraphs)] = ("false", false),
            [nameof(DllmEngineOptions.CudaGraphBatchSizes)] = ("3", new List<int> { 3 }),
            [nameof(DllmEngineOptions.CudaGraphMaxBatchSize)] = ("6", 6),
            [nameof(DllmEngineOptions.CudaGraphPadding)] = ("false", false),
            [nameof(DllmEngineOptions.ServedModelName)] = ("served-name", "served-name"),
        };
    }

    [Fact]
    public void Every_engine_option_has_a_non_default_test_value()
    {
        var defaults = new DllmEngineOptions { ModelPath = "" };
        var values = Values();

        Assert.Equal(Properties.Select(p => p.Name).Order(), values.Keys.Order());
        Assert.All(Properties, p => Assert.False(Same(p.GetValue(defaults), values[p.Name].Value), $"{p.Name}: the test value is the default"));
    }

    [Fact]
    public void Every_engine_option_is_set_by_a_dllm_serve_flag()
    {
        var flags = new EngineFlags();
        var values = Values();
        var args = new List<string> { "serve" };
        foreach (var property in Properties)
        {
            Assert.True(flags.FlagOfProperty.TryGetValue(property.Name, out var flag), $"no dllm serve flag sets {property.Name}");
            args.Add(flag!);
            if (property.PropertyType != typeof(bool))
                args.Add(values[property.Name].Text);
        }
        var parse = new RootCommand { ServeCommand.Create(flags) }.Parse(args);
        Assert.Empty(parse.Errors);

        var options = flags.Read(parse);

        Assert.All(Properties, p => Assert.True(Same(p.GetValue(options), values[p.Name].Value), $"{p.Name}: the flag gave {p.GetValue(options)}"));
        Assert.Empty(DllmEngineOptionsValidator.Validate(options, flags.NameOf));
    }

    [Fact]
    public void Every_engine_option_is_bound_from_AddDllmChatClient_configuration()
    {
        var values = Values();
        var entries = new Dictionary<string, string?>();
        foreach (var (name, (text, _)) in values)
        {
            if (name == nameof(DllmEngineOptions.AlgorithmSettings))
                entries["Dllm:AlgorithmSettings:block_size"] = "16";
            else if (name == nameof(DllmEngineOptions.CudaGraphBatchSizes))
                entries["Dllm:CudaGraphBatchSizes:0"] = text;
            else
                entries[$"Dllm:{name}"] = text;
        }
        var services = new ServiceCollection();
        services.AddDllmChatClient(new ConfigurationBuilder().AddInMemoryCollection(entries).Build().GetSection("Dllm"));
        using var provider = services.BuildServiceProvider();

        var settings = provider.GetRequiredService<IOptions<DllmChatClientSettings>>().Value;
        var engine = provider.GetRequiredService<Dllm.Hosting.DllmEngineProvider>().Options;

        Assert.All(Properties, p => Assert.True(Same(p.GetValue(settings), values[p.Name].Value), $"{p.Name}: configuration gave {p.GetValue(settings)}"));
        Assert.All(Properties, p => Assert.True(Same(p.GetValue(engine), values[p.Name].Value), $"{p.Name}: the engine got {p.GetValue(engine)}"));
        Assert.Empty(DllmEngineOptionsValidator.Validate(settings));
    }

    private static bool Same(object? actual, object? expected) => (actual, expected) switch
    {
        (IDictionary<string, double> a, IDictionary<string, double> e) => a.Count == e.Count && e.All(kv => a.TryGetValue(kv.Key, out double v) && v == kv.Value),
        (IEnumerable<int> a, IEnumerable<int> e) => a.SequenceEqual(e),
        _ => Equals(actual, expected),
    };
}
