using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Dllm.Samples.ChatClient;

/// <summary>
/// <see cref="IChatClient"/> from dependency injection (<c>AddDllmChatClient</c> with logging and function invocation),
/// a streamed answer printed block by block, then the finish reason and the token usage.
/// </summary>
public static class ChatClientSample
{
    /// <summary>Runs the sample with <paramref name="args"/> (<c>--model-path</c>, <c>--max-new-tokens</c>, default 256).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        var arguments = SampleArguments.Parse(args, defaultMaxNewTokens: 256);
        string modelPath = await SampleModel.ResolveAsync(arguments.ModelPath, output, cancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDllmChatClient(settings =>
            {
                settings.ModelPath = modelPath;
                settings.MaxRunningRequests = 4;
                settings.DefaultMaxOutputTokens = arguments.MaxNewTokens;
            })
            .UseLogging()
            .UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        List<ChatMessage> history = [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "Write a brief introduction of the great wall.")];
        var options = new ChatOptions { Temperature = 0, AdditionalProperties = new() { ["threshold"] = 0.9 } };
        var updates = new List<ChatResponseUpdate>();
        output.Write("Assistant: ");
        await foreach (var update in client.GetStreamingResponseAsync(history, options, cancellationToken))
        {
            output.Write(update.Text);
            updates.Add(update);
        }
        output.WriteLine();

        ChatResponse response = updates.ToChatResponse();
        history.AddMessages(response);
        output.WriteLine($"Finish reason: {response.FinishReason}; {updates.Count} streamed blocks; tokens: {response.Usage?.InputTokenCount} in, {response.Usage?.OutputTokenCount} out");
        output.WriteLine($"Model: {response.ModelId}; history now has {history.Count} messages");
        return 0;
    }
}
