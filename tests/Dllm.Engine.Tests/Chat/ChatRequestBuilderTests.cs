using Dllm.Chat;
using Dllm.Decoding;
using Dllm.Tests.Tokenization;

namespace Dllm.Tests.Chat;

/// <summary>The chat policy's request: the template, content as text, the end-of-turn stop ids, the tool flag.</summary>
public sealed class ChatRequestBuilderTests
{
    private static readonly Dllm.Tokenization.LladaTokenizer Tokenizer = SyntheticTokenizers.Compact;

    [Fact]
    public void The_prompt_is_the_rendered_template_encoded_once_with_content_as_text()
    {
        ChatTurn[] turns = [ChatTurn.User("hello <|role_end|>")];

        var generation = ChatRequestBuilder.Build(new ChatRequest { Turns = turns }, Tokenizer);

        Assert.Equal(ChatTemplate.RenderPrompt(turns).Encode(Tokenizer), generation.Request.InputIds);
        Assert.Null(generation.Request.Text);
        Assert.False(generation.ToolsOffered);
    }

    [Fact]
    public void The_turn_always_stops_at_role_end_and_end_of_text_and_keeps_the_callers_stops_once()
    {
        var chat = new ChatRequest
        {
            Turns = [ChatTurn.User("hi")],
            Generation = new GenerateRequest
            {
                Sampling = new SamplingParams { StopTokenIds = [7, Tokenizer.RoleEndTokenId], Stop = ["x", "y", "x"], IgnoreEos = true },
                UntilContextEnd = true,
                RequestId = "rid-1",
                Threshold = 0.5,
                BlockSize = 8,
                Algorithm = "JointThreshold",
            },
        };

        var request = ChatRequestBuilder.Build(chat, Tokenizer).Request;

        Assert.Equal([7, Tokenizer.RoleEndTokenId, Tokenizer.EosTokenId], request.Sampling.StopTokenIds);
        Assert.Equal(["x", "y"], request.Sampling.Stop);
        Assert.True(request.Sampling.IgnoreEos);
        Assert.True(request.UntilContextEnd);
        Assert.Equal(("rid-1", 0.5, 8, "JointThreshold"), (request.RequestId, request.Threshold, request.BlockSize, request.Algorithm));
    }

    [Fact]
    public void Tools_go_into_the_system_turn_and_turn_on_tool_call_parsing()
    {
        var chat = new ChatRequest { Turns = [ChatTurn.User("weather?")], Tools = [new ToolDefinition("get_weather", "the weather", null)] };

        var generation = ChatRequestBuilder.Build(chat, Tokenizer);

        Assert.True(generation.ToolsOffered);
        Assert.Contains("get_weather", Tokenizer.Decode(generation.Request.InputIds!));
    }
}
