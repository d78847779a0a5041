using System.ClientModel;
using OpenAI;
using OpenAI.Chat;

// Talks to a running `dllm serve` through its OpenAI-compatible routes with the official OpenAI SDK.
//   dotnet run --project samples/OpenAIClient -- [base url, default http://127.0.0.1:30000/v1] [max tokens, default 64]
string baseUrl = args.Length > 0 ? args[0] : "http://127.0.0.1:30000/v1";
int maxTokens = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64;
var openAI = new OpenAIClient(new ApiKeyCredential(Environment.GetEnvironmentVariable("DLLM_API_KEY") ?? "none"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl) });

string model = openAI.GetOpenAIModelClient().GetModels().Value[0].Id;
Console.WriteLine($"model: {model}");
var chat = openAI.GetChatClient(model);
var options = new ChatCompletionOptions { MaxOutputTokenCount = maxTokens, Temperature = 0 };
ChatMessage[] messages = [new UserChatMessage("Write a brief introduction of the great wall")];

ChatCompletion completion = await chat.CompleteChatAsync(messages, options);
Console.WriteLine($"complete: finish={completion.FinishReason}, usage={completion.Usage.InputTokenCount}+{completion.Usage.OutputTokenCount}");
Console.WriteLine(completion.Content[0].Text);

Console.Write("streamed: ");
int chunks = 0;
await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, options))
{
    foreach (var part in update.ContentUpdate)
    {
        Console.Write(part.Text);
        chunks++;
    }
}
Console.WriteLine();
Console.WriteLine($"streamed {chunks} content chunk(s)");
