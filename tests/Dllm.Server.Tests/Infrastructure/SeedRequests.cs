namespace Dllm.Server.Tests.Infrastructure;

/// <summary>The two requests of SGLang's LLaDA2 documentation, byte for byte.</summary>
internal static class SeedRequests
{
    public const string NumbersPrompt = "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write the number from 1 to 128 <|role_end|><role>ASSISTANT</role>";

    public const string GreatWallPrompt = "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>";

    public const string StreamingBatch = """{"text": ["<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write the number from 1 to 128 <|role_end|><role>ASSISTANT</role>", "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>"], "stream": true, "sampling_params": {"temperature": 0, "max_new_tokens": 1024}}""";

    public const string Single = """{"text": "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>", "sampling_params": {"temperature": 0, "max_new_tokens": 1024}}""";
}
