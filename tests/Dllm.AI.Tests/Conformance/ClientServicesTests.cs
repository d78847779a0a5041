using Dllm.AI.Tests.Infrastructure;
using Dllm.Hosting;
using Dllm.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dllm.AI.Tests.Conformance;

/// <summary>GetService, ownership and Dispose.</summary>
[Collection(EngineCollection.Name)]
public sealed class ClientServicesTests(EngineFixture fixture)
{
    private readonly DllmEngine _engine = fixture.Engine;

    [Fact]
    public void GetService_answers_metadata_the_engine_and_the_client_itself()
    {
        using var client = new DllmChatClient(_engine);

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("dllm", metadata.ProviderName);
        Assert.Equal(_engine.ModelName, metadata.DefaultModelId);
        Assert.Same(_engine, client.GetService<DllmEngine>());
        Assert.Same(_engine, client.GetService<IDllmGenerator>());
        Assert.Same(client, client.GetService<DllmChatClient>());
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Null(client.GetService<DllmEngine>(serviceKey: "other"));
        Assert.Null(client.GetService<DllmEngineProvider>());
        Assert.Null(client.GetService<string>());
    }

    [Fact]
    public void GetService_reaches_the_client_through_middleware()
    {
        using var pipeline = new DllmChatClient(_engine).AsBuilder().UseLogging(NullLoggerFactory.Instance).UseFunctionInvocation().Build();

        Assert.Equal("dllm", pipeline.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Same(_engine, pipeline.GetService<DllmEngine>());
        Assert.NotNull(pipeline.GetService<DllmChatClient>());
    }

    [Fact]
    public async Task A_client_over_a_provider_reports_the_served_name_before_loading_and_the_engine_after()
    {
        var provider = new DllmEngineProvider(_engine); // not disposed: it would dispose the shared engine
        using var client = new DllmChatClient(provider);

        Assert.Same(provider, client.GetService<DllmEngineProvider>());
        Assert.Equal(_engine.ModelName, client.GetService<ChatClientMetadata>()!.DefaultModelId);
        var response = await client.GetResponseAsync("Hello", new ChatOptions { MaxOutputTokens = 4 });

        Assert.Equal(4, response.Usage!.OutputTokenCount);
        Assert.Same(_engine, client.GetService<DllmEngine>());
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_leaves_an_engine_the_client_does_not_own_running()
    {
        var client = new DllmChatClient(_engine);

        client.Dispose();
        client.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync("Hi"));
        var result = await _engine.GenerateAsync(GenerateRequest.FromText("still running", new() { MaxNewTokens = 2 }));
        Assert.Equal(2, result.CompletionTokens);
    }

    [Fact]
    public async Task A_client_created_with_CreateAsync_owns_its_engine_and_disposes_it()
    {
        var client = await DllmChatClient.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 1, blockSize: 8));
        var engine = client.GetService<DllmEngine>()!;
        var response = await client.GetResponseAsync("Hi", new ChatOptions { MaxOutputTokens = 3 });

        client.Dispose();
        client.Dispose();

        Assert.Equal(3, response.Usage!.OutputTokenCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.GenerateAsync(GenerateRequest.FromText("x")));
    }
}
