using Dllm;
using Dllm.Native;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

try
{
    string model = await DemoModel.EnsureAsync();
    var services = new ServiceCollection();
    services.AddDllmChatClient(settings => settings.ModelPath = model);
    await using var provider = services.BuildServiceProvider();
    var client = provider.GetRequiredService<IChatClient>();
    var response = await client.GetResponseAsync("Hello!", new ChatOptions { MaxOutputTokens = 8, Temperature = 0 });
    Console.WriteLine($"finish: {response.FinishReason}; output tokens: {response.Usage?.OutputTokenCount}");
    return 0;
}
catch (TorchBackendException e)
{
    Console.Error.WriteLine($"runtime: {e.Message}");
    return 3;
}
