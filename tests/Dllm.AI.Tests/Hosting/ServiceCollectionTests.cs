using Dllm.AI.Hosting;
using Dllm.Hosting;
using Dllm.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.AI.Tests.Hosting;

/// <summary>AddDllmChatClient: configuration binding, validation at start, middleware, keyed clients and the shared engine.</summary>
public sealed class ServiceCollectionTests
{
    private static IConfiguration Configuration(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static void TinyCpuEngine(DllmChatClientSettings settings)
    {
        if (settings.ModelPath.Length == 0)
            settings.ModelPath = TinyModels.Random;
        settings.Device = "cpu";
        settings.DType = "float32";
        settings.MaxRunningRequests = 2;
        settings.ContextLength = 512;
    }

    [Fact]
    public async Task Settings_bind_from_a_configuration_section_and_the_client_answers()
    {
        var configuration = Configuration(
            ("Dllm:ModelPath", TinyModels.Random), ("Dllm:ServedModelName", "tiny-from-config"), ("Dllm:DefaultMaxOutputTokens", "6"),
            ("Dllm:MaxRunningRequests", "3"), ("Dllm:LoadFormat", "Safetensors"), ("Dllm:Device", "cpu"), ("Dllm:DType", "float32"), ("Dllm:ContextLength", "512"),
            ("Dllm:MaxQueuedRequests", "9"), ("Dllm:CpuThreads", "2"));
        var services = new ServiceCollection();
        services.AddDllmChatClient(configuration.GetSection("Dllm"));
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        var response = await client.GetResponseAsync("Hello from DI");

        var settings = provider.GetRequiredService<IOptions<DllmChatClientSettings>>().Value;
        Assert.Equal(3, settings.MaxRunningRequests);
        Assert.Equal(LoadFormat.Safetensors, settings.LoadFormat);
        Assert.Equal("tiny-from-config", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal("tiny-from-config", response.ModelId);
        Assert.Equal(6, response.Usage!.OutputTokenCount);
        Assert.Equal(3, client.GetService<DllmEngine>()!.MaxRunningRequests);
        Assert.Equal(9, client.GetService<DllmEngine>()!.MaxQueuedRequests);
        Assert.Equal(2, client.GetService<DllmEngine>()!.Options.CpuThreads);
    }

    [Fact]
    public void The_callback_runs_after_the_configuration_and_wins()
    {
        var services = new ServiceCollection();
        services.AddDllmChatClient(Configuration(("Algorithm", "JointThreshold"), ("MaxRunningRequests", "5"), ("ModelPath", TinyModels.Random)), s => s.MaxRunningRequests = 7);
        using var provider = services.BuildServiceProvider();

        var settings = provider.GetRequiredService<IOptions<DllmChatClientSettings>>().Value;

        Assert.Equal("JointThreshold", settings.Algorithm);
        Assert.Equal(7, settings.MaxRunningRequests);
        Assert.Equal("JointThreshold", provider.GetRequiredService<Dllm.Hosting.DllmEngineProvider>().Options.Algorithm);
    }

    [Fact]
    public void Bad_settings_fail_at_start_with_one_message_per_field()
    {
        string yaml = Path.Combine(Path.GetTempPath(), $"dllm-bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(yaml, "threshold: 7\n");
        var services = new ServiceCollection();
        services.AddDllmChatClient(s =>
        {
            s.ModelPath = "/no/such/model";
            s.MaxRunningRequests = 0;
            s.MaxQueuedRequests = 0;
            s.CpuThreads = 0;
            s.Device = "gpu";
            s.DType = "int8";
            s.ContextLength = -1;
            s.DefaultMaxOutputTokens = 0;
            s.AlgorithmConfigPath = yaml;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(
        [
            "DefaultMaxOutputTokens must be at least 1 (got 0).",
            "ModelPath '/no/such/model' is not a local directory. Pass a directory with config.json, *.safetensors and tokenizer.json.",
            "MaxRunningRequests must be at least 1 (got 0).",
            "MaxQueuedRequests must be at least 1 (got 0).",
            "ContextLength must be at least two blocks (64 tokens with block size 32) (got -1).",
            "Device 'gpu' is not one of: auto, cpu, cuda, cuda:N.",
            "DType 'int8' is not one of: auto, bfloat16, float16, float32.",
            "CpuThreads must be at least 1 (got 0).",
        ], error.Failures.Where(f => !f.StartsWith("AlgorithmConfigPath", StringComparison.Ordinal)));
        Assert.Contains(error.Failures, f => f.StartsWith("AlgorithmConfigPath: ", StringComparison.Ordinal) && f.Contains("threshold", StringComparison.Ordinal));
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());
    }

    [Fact]
    public void A_missing_model_path_and_an_unknown_algorithm_are_named()
    {
        var services = new ServiceCollection();
        services.AddDllmChatClient(Configuration(("Algorithm", "Fastest")));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(
        [
            "ModelPath is required: a local Hugging Face model directory (config.json, *.safetensors, tokenizer.json).",
            "Algorithm 'Fastest' is not one of: LowConfidence, JointThreshold.",
        ], error.Failures);
    }

    [Fact]
    public async Task The_returned_builder_chains_middleware_into_the_registered_client()
    {
        var logs = new CollectingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddDllmChatClient(TinyCpuEngine).UseLogging().UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        await client.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 3 });

        Assert.NotNull(client.GetService<FunctionInvokingChatClient>());
        Assert.NotNull(client.GetService<LoggingChatClient>());
        Assert.NotNull(client.GetService<DllmChatClient>());
        Assert.Contains(logs.Entries, e => e.Message.Contains("GetResponseAsync invoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keyed_and_unkeyed_clients_share_one_engine()
    {
        var services = new ServiceCollection();
        services.AddKeyedDllmChatClient("local", TinyCpuEngine);
        services.AddDllmChatClient(s => s.DefaultMaxOutputTokens = 2);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var keyed = provider.GetRequiredKeyedService<IChatClient>("local");
        var plain = provider.GetRequiredService<IChatClient>();
        var response = await plain.GetResponseAsync("Hi");
        await keyed.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 2 });

        Assert.NotSame(keyed, plain);
        Assert.Same(provider.GetRequiredService<DllmEngineProvider>(), keyed.GetService<DllmEngineProvider>());
        Assert.Same(keyed.GetService<DllmEngine>(), plain.GetService<DllmEngine>());
        Assert.Equal(2, response.Usage!.OutputTokenCount);
        Assert.Null(provider.GetKeyedService<IChatClient>("other"));
    }

    [Fact]
    public async Task An_engine_registered_first_by_the_server_is_the_one_the_client_uses()
    {
        var services = new ServiceCollection();
        services.AddDllmEngine(_ => Dllm.Testing.TestEngines.Options(TinyModels.Random, maxRunningRequests: 1, blockSize: 8) with { ServedModelName = "server-engine" });
        services.AddDllmChatClient(s => s.DefaultMaxOutputTokens = 4);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var client = provider.GetRequiredService<IChatClient>();
        var response = await client.GetResponseAsync("Hi");
        var engine = client.GetService<DllmEngine>()!;
        await provider.DisposeAsync();

        Assert.Equal("server-engine", response.ModelId);
        Assert.Equal(1, engine.MaxRunningRequests);
        Assert.Equal(4, response.Usage!.OutputTokenCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.GenerateAsync(GenerateRequest.FromText("disposed with the container")));
    }
}
