using Dllm;
using Dllm.AI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Dllm.Samples.Agent;

/// <summary>
/// A Microsoft.Agents.AI <see cref="ChatClientAgent"/> over the Dllm chat client: instructions, a tool, and a session
/// that carries the conversation over two streamed turns.
/// </summary>
public static class AgentSample
{
    /// <summary>Runs the sample with <paramref name="args"/> (<c>--model-path</c>, <c>--max-new-tokens</c>, default 128).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        var arguments = SampleArguments.Parse(args, defaultMaxNewTokens: 128);
        string modelPath = await SampleModel.ResolveAsync(arguments.ModelPath, output, cancellationToken);
        using var client = await DllmChatClient.CreateAsync(
            new DllmEngineOptions { ModelPath = modelPath, MaxRunningRequests = 2 },
            new DllmChatClientOptions { DefaultMaxOutputTokens = arguments.MaxNewTokens },
            cancellationToken: cancellationToken);
        AIAgent agent = new ChatClientAgent(client, instructions: "You are a travel assistant. Be brief.", name: "TravelAgent",
            tools: [AIFunctionFactory.Create((string city) => $"{city}: 21 degrees Celsius, sunny", "GetWeather", "Gets the weather in a city.")]);
        AgentSession session = await agent.CreateSessionAsync(cancellationToken);

        foreach (string question in (string[])["What is the weather in Beijing?", "Should I visit the Great Wall today?"])
        {
            output.WriteLine($"User: {question}");
            output.Write($"{agent.Name}: ");
            await foreach (var update in agent.RunStreamingAsync(question, session, cancellationToken: cancellationToken))
                output.Write(update.Text);
            output.WriteLine();
        }
        return 0;
    }
}
