using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public class DllmEngineValidateTests
{
    [Fact]
    public async Task Validate_rejects_what_generation_would_reject_and_runs_nothing()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        int vocab = engine.ModelConfig.VocabSize;

        var both = Assert.Throws<ArgumentException>(() => engine.Validate(new GenerateRequest { Text = "a", InputIds = [1] }));
        var outside = Assert.Throws<ArgumentException>(() => engine.Validate(GenerateRequest.FromIds([1, vocab])));
        var negative = Assert.Throws<ArgumentException>(() => engine.Validate(GenerateRequest.FromText("a", new SamplingParams { MaxNewTokens = -1 })));
        var tooLong = Assert.Throws<ArgumentException>(() => engine.Validate(GenerateRequest.FromText("a", new SamplingParams { MaxNewTokens = engine.ContextLength })));
        engine.Validate(GenerateRequest.FromText("fine", new SamplingParams { MaxNewTokens = 8 }));

        Assert.Contains("exactly one of text and input_ids", both.Message);
        Assert.Contains($"token id {vocab} is outside the vocabulary", outside.Message);
        Assert.Equal("max_new_tokens", negative.ParamName);
        Assert.Contains("exceeds the context length", tooLong.Message);
        Assert.Equal("max_new_tokens", tooLong.ParamName);
        Assert.Equal(0, engine.DenoisingSteps);
        Assert.Equal(0, engine.RunningRequests + engine.WaitingRequests);
    }
}
