using Microsoft.SemanticKernel;

namespace Dllm.Samples.SemanticKernel;

/// <summary>
/// A Semantic Kernel over the Dllm chat client with a plugin the model may call (<c>FunctionChoiceBehavior.Auto()</c>),
/// and a prompt function whose execution settings carry the diffusion knobs (<c>threshold</c>, <c>block_size</c>).
/// </summary>
public static class SemanticKernelSample
{
    /// <summary>Runs the sample with <paramref name="args"/> (<c>--model-path</c>, <c>--max-new-tokens</c>, default 128).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        var arguments = SampleArguments.Parse(args, defaultMaxNewTokens: 128);
        string modelPath = await SampleModel.ResolveAsync(arguments.ModelPath, output, cancellationToken);
        var builder = Kernel.CreateBuilder().AddDllmChatClient(settings =>
        {
            settings.ModelPath = modelPath;
            settings.MaxRunningRequests = 2;
        });
        builder.Plugins.AddFromType<ClockPlugin>("Clock");
        Kernel kernel = builder.Build();

        var settings = new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ExtensionData = new Dictionary<string, object> { ["max_tokens"] = arguments.MaxNewTokens, ["temperature"] = 0.0, ["threshold"] = 0.9, ["block_size"] = 32 },
        };
        FunctionResult answer = await kernel.InvokePromptAsync("What time is it in UTC?", new KernelArguments(settings), cancellationToken: cancellationToken);
        output.WriteLine($"Answer: {answer}");

        KernelFunction summarize = kernel.CreateFunctionFromPrompt("Summarize in one sentence: {{$input}}", settings, functionName: "Summarize");
        FunctionResult summary = await kernel.InvokeAsync(summarize, new KernelArguments(settings) { ["input"] = "The Great Wall of China is a series of fortifications." }, cancellationToken);
        output.WriteLine($"Summary: {summary}");
        return 0;
    }
}
