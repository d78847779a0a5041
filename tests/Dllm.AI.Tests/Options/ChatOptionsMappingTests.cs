using System.Text.Json;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Decoding;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Tests.Options;

/// <summary>How <see cref="ChatOptions"/> become the engine request (seen through a scripted generator).</summary>
public sealed class ChatOptionsMappingTests
{
    private static async Task<GenerateRequest> RequestForAsync(ChatOptions? options, DllmChatClientOptions? clientOptions = null)
    {
        var generator = new ScriptedGenerator(["ok"]);
        using var client = new DllmChatClient(generator, clientOptions);
        await client.GetResponseAsync("Hi", options);
        return Assert.Single(generator.Requests);
    }

    [Fact]
    public async Task Sampling_options_are_mapped_onto_the_sampling_params()
    {
        var request = await RequestForAsync(new ChatOptions
        {
            Temperature = 0.5f, TopP = 0.75f, TopK = 40, MaxOutputTokens = 77, Seed = 1234, StopSequences = ["END", "", "STOP"],
        });

        Assert.Equal(0.5, request.Sampling.Temperature);
        Assert.Equal(0.75, request.Sampling.TopP);
        Assert.Equal(40, request.Sampling.TopK);
        Assert.Equal(77, request.Sampling.MaxNewTokens);
        Assert.Equal(1234L, request.Sampling.Seed);
        Assert.Equal(["END", "STOP"], request.Sampling.Stop);
        Assert.StartsWith("chatcmpl-", request.RequestId);
    }

    [Fact]
    public async Task Generation_always_stops_on_EOS_and_role_end_looked_up_in_the_tokenizer()
    {
        var request = await RequestForAsync(null);

        var tokenizer = TestTokenizer.Instance;
        Assert.Equal([tokenizer.EosTokenId, tokenizer.RoleEndTokenId], request.Sampling.StopTokenIds);
        Assert.False(request.Sampling.IgnoreEos);
        Assert.Equal(SamplingParams.Default.MaxNewTokens, request.Sampling.MaxNewTokens);
        Assert.Null(request.Threshold);
        Assert.Null(request.BlockSize);
        Assert.Null(request.Algorithm);
    }

    public static TheoryData<object, object, object, object> KnobForms => new()
    {
        { 0.5, 16, "JointThreshold", 0.1 },
        { 0.5f, 16L, "JointThreshold", 0.1m },
        { "0.5", "16", "JointThreshold", "0.1" },
        { Json("0.5"), Json("16"), Json("\"JointThreshold\""), Json("0.1") },
        { Json("\"0.5\""), Json("\"16\""), Json("\"JointThreshold\""), Json("\"0.1\"") },
        { 0.5m, 16.0, "JointThreshold", 0.1f },
    };

    [Theory]
    [MemberData(nameof(KnobForms))]
    public async Task Diffusion_knobs_are_read_from_additional_properties_in_any_number_form(object threshold, object blockSize, object algorithm, object minP)
    {
        var request = await RequestForAsync(new ChatOptions
        {
            AdditionalProperties = new()
            {
                [DllmChatOptionKeys.Threshold] = threshold,
                [DllmChatOptionKeys.BlockSize] = blockSize,
                [DllmChatOptionKeys.Algorithm] = algorithm,
                [DllmChatOptionKeys.MinP] = minP,
            },
        });

        Assert.Equal(0.5, request.Threshold!.Value, 6);
        Assert.Equal(16, request.BlockSize);
        Assert.Equal("JointThreshold", request.Algorithm);
        Assert.Equal(0.1, request.Sampling.MinP, 6);
    }

    [Theory]
    [InlineData(DllmChatOptionKeys.BlockSize, "sixteen")]
    [InlineData(DllmChatOptionKeys.BlockSize, 16.5)]
    [InlineData(DllmChatOptionKeys.Threshold, true)]
    [InlineData(DllmChatOptionKeys.Algorithm, 3)]
    public async Task A_knob_of_the_wrong_kind_is_an_ArgumentException_naming_the_key(string key, object value)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => RequestForAsync(new ChatOptions { AdditionalProperties = new() { [key] = value } }));

        Assert.Contains($"\"{key}\"", error.Message);
    }

    [Fact]
    public async Task Null_knobs_are_absent_knobs()
    {
        var request = await RequestForAsync(new ChatOptions
        {
            AdditionalProperties = new() { [DllmChatOptionKeys.Threshold] = null, [DllmChatOptionKeys.BlockSize] = Json("null") },
        });

        Assert.Null(request.Threshold);
        Assert.Null(request.BlockSize);
    }

    [Fact]
    public async Task A_SamplingParams_raw_representation_is_the_starting_point_that_options_override()
    {
        var baseline = new SamplingParams { MaxNewTokens = 9, MinP = 0.2, Stop = ["base"], StopTokenIds = [5], IgnoreEos = true, Temperature = 0.3 };

        var request = await RequestForAsync(new ChatOptions { RawRepresentationFactory = _ => baseline, Temperature = 0.6f, StopSequences = ["more"] });

        Assert.Equal(9, request.Sampling.MaxNewTokens);
        Assert.Equal(0.2, request.Sampling.MinP);
        Assert.Equal(0.6, request.Sampling.Temperature, 6);
        Assert.Equal(["base", "more"], request.Sampling.Stop);
        Assert.Equal([5, TestTokenizer.Instance.EosTokenId, TestTokenizer.Instance.RoleEndTokenId], request.Sampling.StopTokenIds);
        // The chat policy stops at <|endoftext|> and <|role_end|> whatever ignore_eos says (they are stop ids); the
        // starting point's ignore_eos is kept, as /v1/chat/completions keeps the field.
        Assert.True(request.Sampling.IgnoreEos);
    }

    [Fact]
    public async Task DefaultMaxOutputTokens_applies_when_the_request_does_not_say()
    {
        var clientOptions = new DllmChatClientOptions { DefaultMaxOutputTokens = 33 };

        Assert.Equal(33, (await RequestForAsync(null, clientOptions)).Sampling.MaxNewTokens);
        Assert.Equal(5, (await RequestForAsync(new ChatOptions { MaxOutputTokens = 5 }, clientOptions)).Sampling.MaxNewTokens);
    }

    [Fact]
    public async Task The_model_id_of_the_options_is_echoed_and_the_served_name_is_the_default()
    {
        using var client = new DllmChatClient(new ScriptedGenerator(["ok"]));

        Assert.Equal("my-model", (await client.GetResponseAsync("Hi", new ChatOptions { ModelId = "my-model" })).ModelId);
        Assert.Equal("scripted-llada", (await client.GetResponseAsync("Hi")).ModelId);
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
