using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace Dllm.Server.Tests.Clients;

/// <summary>The real OpenAI .NET SDK and Microsoft.Extensions.AI's OpenAI <see cref="IChatClient"/>, pointed at a server's <c>/v1</c>.</summary>
internal static class OpenAiClients
{
    public static ChatClient Chat(Uri server, string apiKey = "unused", string model = "any-model") =>
        new(model, new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = new Uri(server, "v1"), NetworkTimeout = TimeSpan.FromMinutes(1), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    public static IChatClient ChatClient(Uri server, string apiKey = "unused") => Chat(server, apiKey).AsIChatClient();
}
