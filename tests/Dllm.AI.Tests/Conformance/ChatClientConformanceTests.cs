using System.Text;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Chat;
using Microsoft.Extensions.AI;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Dllm.AI.Tests.Conformance;

/// <summary>
/// The conformance suite of dotnet/extensions' ChatClientIntegrationTests, adapted to a tiny random model: the answers
/// are checked against what the engine itself generates for the rendered prompt rather than against world knowledge.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ChatClientConformanceTests(EngineFixture fixture)
{
    private readonly DllmEngine _engine = fixture.Engine;

    private DllmChatClient CreateClient() => new(_engine);

    [Fact]
    public async Task GetResponseAsync_SingleRequestMessage_answers_what_the_engine_generates_for_the_rendered_prompt()
    {
        using var client = CreateClient();

        var response = await client.GetResponseAsync("What's the biggest animal?", new ChatOptions { MaxOutputTokens = 24 });

        var expected = await DirectEngine.GenerateAsync(_engine, DirectEngine.Prompt(ChatTurn.User("What's the biggest animal?")), 24);
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(expected.Text, response.Text);
        Assert.NotEmpty(response.Text);
        Assert.StartsWith("chatcmpl-", response.ResponseId);
        Assert.Equal(_engine.ModelName, response.ModelId);
        Assert.NotNull(response.CreatedAt);
        Assert.Equal(expected.FinishReason.Kind == FinishKind.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_MultipleRequestMessages_renders_the_whole_conversation()
    {
        using var client = CreateClient();
        ChatMessage[] conversation =
        [
            new(ChatRole.System, "You are terse."),
            new(ChatRole.User, "Pick a city, any city"),
            new(ChatRole.Assistant, "Seattle"),
            new(ChatRole.User, "And another one"),
        ];

        var response = await client.GetResponseAsync(conversation, new ChatOptions { MaxOutputTokens = 16 });

        string prompt = DirectEngine.Prompt(ChatTurn.System("You are terse."), ChatTurn.User("Pick a city, any city"), ChatTurn.Assistant("Seattle"), ChatTurn.User("And another one"));
        var expected = await DirectEngine.GenerateAsync(_engine, prompt, 16);
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(_engine.Tokenizer.Encode(prompt).Length, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task A_conversation_sent_again_reports_its_whole_prompt_blocks_as_cached_input_tokens()
    {
        using var client = CreateClient();
        string system = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"rule {i}: be brief."));
        ChatMessage[] conversation = [new(ChatRole.System, system), new(ChatRole.User, "Name a colour")];

        var first = await client.GetResponseAsync(conversation, new ChatOptions { MaxOutputTokens = 8 });
        var second = await client.GetResponseAsync(conversation, new ChatOptions { MaxOutputTokens = 8 });

        long prompt = second.Usage!.InputTokenCount!.Value;
        Assert.True(prompt > 64, $"{prompt} prompt tokens");
        Assert.Equal(prompt / _engine.BlockSize * _engine.BlockSize, second.Usage.CachedInputTokenCount);
        Assert.True(first.Usage!.CachedInputTokenCount < second.Usage.CachedInputTokenCount);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task GetResponseAsync_WithEmptyMessages_renders_them_as_empty_turns()
    {
        using var client = CreateClient();

        var response = await client.GetResponseAsync(
            [new(ChatRole.System, []), new(ChatRole.User, []), new(ChatRole.Assistant, []), new(ChatRole.User, "What is 1 + 2?")],
            new ChatOptions { MaxOutputTokens = 8 });

        string prompt = DirectEngine.Prompt(ChatTurn.User(""), ChatTurn.Assistant(""), ChatTurn.User("What is 1 + 2?"));
        Assert.Equal(_engine.Tokenizer.Encode(prompt).Length, response.Usage!.InputTokenCount);
        Assert.Equal((await DirectEngine.GenerateAsync(_engine, prompt, 8)).Text, response.Text);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_streams_one_update_per_block_with_ids_and_a_final_finish_reason()
    {
        using var client = CreateClient();
        var options = new ChatOptions { MaxOutputTokens = 30 };

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Quote Neil Armstrong's famous words.", options))
            updates.Add(update);

        var engineUpdates = new List<GenerationUpdate>();
        string prompt = DirectEngine.Prompt(ChatTurn.User("Quote Neil Armstrong's famous words."));
        await foreach (var update in _engine.GenerateStreamingAsync(GenerateRequest.FromText(prompt, new() { MaxNewTokens = 30, StopTokenIds = [_engine.Tokenizer.EosTokenId, _engine.Tokenizer.RoleEndTokenId] })))
            engineUpdates.Add(update);
        Assert.True(updates.Count > 2, $"{updates.Count} updates");
        Assert.Equal(engineUpdates.Count, updates.Count);
        Assert.Equal(engineUpdates[^1].Text, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u =>
        {
            Assert.Equal(ChatRole.Assistant, u.Role);
            Assert.Equal(updates[0].ResponseId, u.ResponseId);
            Assert.Equal(updates[0].MessageId, u.MessageId);
            Assert.Equal(updates[0].CreatedAt, u.CreatedAt);
            Assert.Equal(_engine.ModelName, u.ModelId);
        });
        Assert.NotNull(updates[0].ResponseId);
        Assert.NotEqual(updates[0].ResponseId, updates[0].MessageId);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.FinishReason));
        Assert.NotNull(updates[^1].FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_equals_the_streamed_result()
    {
        using var client = CreateClient();
        var options = new ChatOptions { MaxOutputTokens = 20 };

        var response = await client.GetResponseAsync("Explain in 10 words how AI works", options);
        var streamed = await client.GetStreamingResponseAsync("Explain in 10 words how AI works", options).ToChatResponseAsync();

        Assert.Equal(streamed.Text, response.Text);
        Assert.Equal(streamed.FinishReason, response.FinishReason);
        Assert.Equal(streamed.Usage!.TotalTokenCount, response.Usage!.TotalTokenCount);
        Assert.Equal(streamed.ModelId, response.ModelId);
    }

    [Fact]
    public async Task GetResponseAsync_UsageDataAvailable_counts_prompt_and_output_tokens()
    {
        using var client = CreateClient();

        var response = await client.GetResponseAsync("Explain in 10 words how AI works", new ChatOptions { MaxOutputTokens = 12 });

        string prompt = DirectEngine.Prompt(ChatTurn.User("Explain in 10 words how AI works"));
        var expected = await DirectEngine.GenerateAsync(_engine, prompt, 12);
        Assert.Equal(_engine.Tokenizer.Encode(prompt).Length, response.Usage!.InputTokenCount);
        Assert.Equal(expected.CompletionTokens, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.True(response.Usage.AdditionalCounts!["denoising_steps"] >= expected.CompletionTokens);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UsageDataAvailable_in_exactly_one_usage_content_on_the_last_update()
    {
        using var client = CreateClient();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Explain in 10 words how AI works", new ChatOptions { MaxOutputTokens = 20 }))
            updates.Add(update);

        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Contains(usage, updates[^1].Contents);
        Assert.True(usage.Details.InputTokenCount > 1);
        Assert.True(usage.Details.OutputTokenCount > 1);
        Assert.Equal(usage.Details.InputTokenCount + usage.Details.OutputTokenCount, usage.Details.TotalTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_AppendToHistory_adds_one_assistant_message_with_one_text()
    {
        using var client = CreateClient();
        List<ChatMessage> history = [new(ChatRole.User, "Explain in 100 words how AI works")];

        var stream = client.GetStreamingResponseAsync(history, new ChatOptions { MaxOutputTokens = 20 });
        Assert.Single(history);
        await history.AddMessagesAsync(stream);

        Assert.Equal(2, history.Count);
        Assert.Equal(ChatRole.Assistant, history[1].Role);
        var text = Assert.Single(history[1].Contents.OfType<TextContent>());
        Assert.NotEmpty(text.Text);
        Assert.Equal(history[1].Text, text.Text);
    }

    [Fact]
    public async Task StopSequences_end_the_answer_before_the_sequence_in_both_modes()
    {
        using var client = CreateClient();
        string prompt = DirectEngine.Prompt(ChatTurn.User("Count to ten"));
        string free = (await DirectEngine.GenerateAsync(_engine, prompt, 40)).Text;
        string stop = free.Substring(free.Length / 2, 3);
        string expected = free[..free.IndexOf(stop, StringComparison.Ordinal)];
        var options = new ChatOptions { MaxOutputTokens = 40, StopSequences = [stop] };

        var response = await client.GetResponseAsync("Count to ten", options);
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("Count to ten", options))
            streamed.Append(update.Text);

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(expected, streamed.ToString());
    }

    [Fact]
    public async Task MaxOutputTokens_reached_is_FinishReason_Length()
    {
        using var client = CreateClient();

        var response = await client.GetResponseAsync("Tell me a long story", new ChatOptions { MaxOutputTokens = 5 });

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Cancelling_a_stream_aborts_the_request_and_frees_its_engine_slot()
    {
        using var client = CreateClient();
        using var cancellation = new CancellationTokenSource();
        int seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Tell me a long story", new ChatOptions { MaxOutputTokens = 600 }, cancellation.Token))
            {
                seen++;
                Assert.Equal(1, _engine.RunningRequests);
                cancellation.Cancel();
            }
        });

        Assert.Equal(1, seen);
        Assert.Equal(0, _engine.RunningRequests);
        Assert.Equal(0, _engine.WaitingRequests);
    }

    [Fact]
    public async Task Cancelling_GetResponseAsync_frees_the_engine_slot()
    {
        using var client = CreateClient();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            client.GetResponseAsync("Tell me a long story", new ChatOptions { MaxOutputTokens = 900 }, cancellation.Token));

        Assert.Equal(0, _engine.RunningRequests);
    }

    [Fact]
    public async Task Concurrent_requests_on_one_client_each_get_their_own_answer()
    {
        using var client = CreateClient();
        string[] questions = ["First question", "A second, longer question about things", "Third", "Fourth question here"];
        var options = new ChatOptions { MaxOutputTokens = 16 };

        var concurrent = await Task.WhenAll(questions.Select(q => client.GetResponseAsync(q, options)));

        for (int i = 0; i < questions.Length; i++)
        {
            var alone = await DirectEngine.GenerateAsync(_engine, DirectEngine.Prompt(ChatTurn.User(questions[i])), 16);
            Assert.Equal(alone.Text, concurrent[i].Text);
        }
        Assert.Equal(questions.Length, concurrent.Select(r => r.ResponseId).Distinct().Count());
    }

    [Fact]
    public async Task Neither_the_messages_nor_the_options_are_mutated()
    {
        using var client = CreateClient();
        List<ChatMessage> messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hello")];
        var options = new ChatOptions
        {
            MaxOutputTokens = 10,
            Temperature = 0,
            StopSequences = ["zzz"],
            AdditionalProperties = new() { [DllmChatOptionKeys.BlockSize] = 16 },
            Tools = [AIFunctionFactory.Create(() => 1, "One")],
        };
        string before = System.Text.Json.JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions);

        await client.GetResponseAsync(messages, options);
        await foreach (var _ in client.GetStreamingResponseAsync(messages, options))
        {
        }

        Assert.Equal(before, System.Text.Json.JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions));
        Assert.Equal(["zzz"], options.StopSequences);
        Assert.Single(options.AdditionalProperties);
        Assert.Equal(2, messages.Count);
        Assert.Equal("Hello", Assert.Single(messages[1].Contents.OfType<TextContent>()).Text);
    }

    [Fact]
    public async Task Diffusion_knobs_in_additional_properties_reach_the_engine()
    {
        using var client = CreateClient();
        var small = new ChatOptions { MaxOutputTokens = 32 };
        var large = new ChatOptions { MaxOutputTokens = 32, AdditionalProperties = new() { [DllmChatOptionKeys.BlockSize] = 32L, [DllmChatOptionKeys.Threshold] = "0.9" } };

        int smallBlocks = await CountUpdatesAsync(client, small);
        int largeBlocks = await CountUpdatesAsync(client, large);

        Assert.True(largeBlocks < smallBlocks, $"{largeBlocks} updates with block_size 32, {smallBlocks} with 8");
        Assert.True(largeBlocks <= 2, $"{largeBlocks} updates with block_size 32 for 32 tokens");
    }

    [Fact]
    public async Task An_invalid_value_of_a_known_option_is_an_ArgumentException_naming_it()
    {
        using var client = CreateClient();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("Hi",
            new ChatOptions { AdditionalProperties = new() { [DllmChatOptionKeys.BlockSize] = "large" } }));
        var temperature = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("Hi", new ChatOptions { Temperature = -1 }));
        var algorithm = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("Hi",
            new ChatOptions { AdditionalProperties = new() { [DllmChatOptionKeys.Algorithm] = "Fastest" } }));

        Assert.Contains("block_size", error.Message);
        Assert.Contains("Unknown diffusion algorithm 'Fastest'", algorithm.Message);
        Assert.Contains("temperature", temperature.Message);
        Assert.Equal(0, _engine.RunningRequests);
    }

    [Fact]
    public async Task A_request_may_choose_another_algorithm()
    {
        using var client = CreateClient();

        var response = await client.GetResponseAsync("Algorithm probe", new ChatOptions
        {
            MaxOutputTokens = 9, AdditionalProperties = new() { [DllmChatOptionKeys.Algorithm] = "JointThreshold" },
        });

        Assert.Equal(9, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Unsupported_options_are_ignored()
    {
        using var client = CreateClient();
        var plain = await client.GetResponseAsync("Hi there", new ChatOptions { MaxOutputTokens = 10 });

        var response = await client.GetResponseAsync("Hi there", new ChatOptions
        {
            MaxOutputTokens = 10,
            FrequencyPenalty = 0.5f,
            PresencePenalty = 0.5f,
            ResponseFormat = ChatResponseFormat.Json,
            ConversationId = "conversation",
            AllowMultipleToolCalls = true,
            AdditionalProperties = new() { ["unknown_knob"] = new object() },
        });

        Assert.Equal(plain.Text, response.Text);
    }

    private static async Task<int> CountUpdatesAsync(IChatClient client, ChatOptions options)
    {
        int count = 0;
        await foreach (var _ in client.GetStreamingResponseAsync("Block size probe", options))
            count++;
        return count;
    }
}
