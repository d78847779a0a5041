using Dllm.Chat;
using Dllm.Decoding;

namespace Dllm.Samples.OfflineEngine;

/// <summary>
/// The offline engine example (SGLang's <c>sgl.Engine</c> example for LLaDA2): one engine with LowConfidence decoding and
/// one running request, greedy generation for the seed prompt, the result printed.
/// </summary>
public static class OfflineEngineSample
{
    /// <summary>Runs the sample with <paramref name="args"/> (<c>--model-path</c>, <c>--max-new-tokens</c>, default 1024).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        var arguments = SampleArguments.Parse(args, defaultMaxNewTokens: 1024);
        string modelPath = await SampleModel.ResolveAsync(arguments.ModelPath, output, cancellationToken);
        await using var engine = await DllmEngine.CreateAsync(
            new DllmEngineOptions { ModelPath = modelPath, Algorithm = "LowConfidence", MaxRunningRequests = 1 }, cancellationToken: cancellationToken);

        // <role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>
        // Encoding the ChatPrompt (not its text) keeps message content as text: a "<|role_end|>" typed by a user stays text.
        ChatPrompt prompt = ChatTemplate.RenderPrompt([ChatTurn.User(" Write a brief introduction of the great wall ")]);
        var sampling = new SamplingParams { Temperature = 0, MaxNewTokens = arguments.MaxNewTokens, StopTokenIds = [engine.Tokenizer.RoleEndTokenId] };
        GenerationResult result = await engine.GenerateAsync(GenerateRequest.FromIds(prompt.Encode(engine.Tokenizer), sampling), cancellationToken);

        output.WriteLine($"Prompt: {prompt.Text}");
        output.WriteLine($"Output: {result.Text}");
        output.WriteLine($"Finish reason: {result.FinishReason.Type}; {result.CompletionTokens} tokens in {result.DenoisingSteps} denoising steps, {result.Latency.TotalSeconds:F2} s");
        return 0;
    }
}
