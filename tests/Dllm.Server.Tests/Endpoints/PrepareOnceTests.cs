using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>An HTTP request enters the engine once: each prompt is checked and tokenized once, by the generator's Prepare.</summary>
[Collection(ServerCollection.Name)]
public class PrepareOnceTests
{
    [Theory]
    [InlineData("/generate", """{"text": "count the tokenizer calls", "sampling_params": {"max_new_tokens": 4}}""", 1)]
    [InlineData("/generate", """{"text": ["one prompt", "and another"], "sampling_params": {"max_new_tokens": 4}}""", 2)]
    [InlineData("/generate", """{"input_ids": [5, 6, 7], "sampling_params": {"max_new_tokens": 4}}""", 0)]
    [InlineData("/v1/chat/completions", """{"messages": [{"role": "user", "content": "count the tokenizer calls"}], "max_tokens": 4}""", 1)]
    [InlineData("/v1/chat/completions", """{"messages": [{"role": "user", "content": "no token limit: to the end of the context"}], "stop": ["zz"], "stream": true}""", 1)]
    [InlineData("/v1/completions", """{"prompt": "count the tokenizer calls", "max_tokens": 4}""", 1)]
    public async Task Each_prompt_is_tokenized_once_per_request(string path, string body, int prompts)
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked, blockSize: 8) with { ContextLength = 128 });
        long before = server.Engine.Tokenizer.Encodings;

        var response = await server.Client.PostAsync(path, body);
        await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + prompts, server.Engine.Tokenizer.Encodings);
    }
}
