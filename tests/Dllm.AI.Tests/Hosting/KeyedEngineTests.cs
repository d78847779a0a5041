using Dllm.AI.Hosting;
using Dllm.Hosting;
using Dllm.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dllm.AI.Tests.Hosting;

/// <summary>Keyed chat clients with models of their own get engines of their own; a key's bad model path fails at start.</summary>
public sealed class KeyedEngineTests
{
    private static Action<DllmChatClientSettings> Engine(string modelPath, string name) => settings =>
    {
        settings.ModelPath = modelPath;
        settings.ServedModelName = name;
        settings.Device = "cpu";
        settings.DType = "float32";
        settings.MaxRunningRequests = 1;
        settings.ContextLength = 512;
    };

    [Fact]
    public async Task Each_key_with_its_own_model_gets_its_own_engine()
    {
        var services = new ServiceCollection();
        services.AddKeyedDllmChatClient("a", Engine(TinyModels.Random, "model-a"));
        services.AddKeyedDllmChatClient("b", Engine(TinyModels.Peaked, "model-b"));
        services.AddKeyedDllmChatClient("c", s => s.DefaultMaxOutputTokens = 2);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var a = provider.GetRequiredKeyedService<IChatClient>("a");
        var b = provider.GetRequiredKeyedService<IChatClient>("b");
        var c = provider.GetRequiredKeyedService<IChatClient>("c");
        var answerA = await a.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 2 });
        var answerB = await b.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 2 });
        var answerC = await c.GetResponseAsync("Hi");

        Assert.Equal("model-a", answerA.ModelId);
        Assert.Equal("model-b", answerB.ModelId);
        Assert.Equal("model-a", answerC.ModelId); // no model of its own: the shared engine (the first registration's)
        Assert.NotSame(a.GetService<DllmEngine>(), b.GetService<DllmEngine>());
        Assert.Same(a.GetService<DllmEngine>(), c.GetService<DllmEngine>());
        Assert.Same(provider.GetRequiredKeyedService<DllmEngineProvider>("b"), b.GetService<DllmEngineProvider>());
    }

    [Fact]
    public async Task A_bad_model_path_under_any_key_fails_validation_at_start()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dllm-nope-{Guid.NewGuid():N}");
        var services = new ServiceCollection();
        services.AddKeyedDllmChatClient("a", Engine(TinyModels.Random, "model-a"));
        services.AddKeyedDllmChatClient("b", Engine(missing, "model-b"));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal("b", error.OptionsName);
        Assert.Contains($"ModelPath '{missing}' is not a local directory. Pass a directory with config.json, *.safetensors and tokenizer.json.", error.Failures);
    }
}
